"""Request bodies in Kubernetes' protobuf encoding, decoded to the JSON objects they stand for.

client-go (kubectl 1.3x, Helm's storage driver) sends built-in types as protobuf:
`k8s\\x00` + runtime.Unknown{typeMeta, raw}. Only the messages this server stores are known
(field numbers from k8s.io/api and k8s.io/apimachinery generated.proto); custom resources are
always JSON. Responses stay JSON, which those clients also accept.
"""

import base64
import json
import struct
import time

from .errors import bad_request

MAGIC = b"k8s\x00"

# message -> {field number: (json name, kind, repeated)}; kind is a scalar kind or a message name.
SCHEMA = {
    "Unknown": {1: ("typeMeta", "TypeMeta", False), 2: ("raw", "bytes", False),
                3: ("contentEncoding", "string", False), 4: ("contentType", "string", False)},
    "TypeMeta": {1: ("apiVersion", "string", False), 2: ("kind", "string", False)},
    "ObjectMeta": {
        1: ("name", "string", False), 2: ("generateName", "string", False), 3: ("namespace", "string", False),
        4: ("selfLink", "string", False), 5: ("uid", "string", False), 6: ("resourceVersion", "string", False),
        7: ("generation", "int", False), 8: ("creationTimestamp", "time", False),
        9: ("deletionTimestamp", "time", False), 10: ("deletionGracePeriodSeconds", "int", False),
        11: ("labels", "map_string", False), 12: ("annotations", "map_string", False),
        13: ("ownerReferences", "OwnerReference", True), 14: ("finalizers", "string", True),
        17: ("managedFields", "ManagedFieldsEntry", True),
    },
    "OwnerReference": {5: ("apiVersion", "string", False), 1: ("kind", "string", False), 3: ("name", "string", False),
                       4: ("uid", "string", False), 6: ("controller", "bool", False),
                       7: ("blockOwnerDeletion", "bool", False)},
    "ManagedFieldsEntry": {1: ("manager", "string", False), 2: ("operation", "string", False),
                           3: ("apiVersion", "string", False), 4: ("time", "time", False),
                           6: ("fieldsType", "string", False), 7: ("fieldsV1", "FieldsV1", False),
                           8: ("subresource", "string", False)},
    "ConfigMap": {1: ("metadata", "ObjectMeta", False), 4: ("immutable", "bool", False),
                  2: ("data", "map_string", False), 3: ("binaryData", "map_bytes", False)},
    "Secret": {1: ("metadata", "ObjectMeta", False), 5: ("immutable", "bool", False), 2: ("data", "map_bytes", False),
               4: ("stringData", "map_string", False), 3: ("type", "string", False)},
    "Namespace": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "NamespaceSpec", False),
                  3: ("status", "NamespaceStatus", False)},
    "NamespaceSpec": {1: ("finalizers", "string", True)},
    "NamespaceStatus": {1: ("phase", "string", False)},
    "Lease": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "LeaseSpec", False)},
    "LeaseSpec": {1: ("holderIdentity", "string", False), 2: ("leaseDurationSeconds", "int", False),
                  3: ("acquireTime", "microtime", False), 4: ("renewTime", "microtime", False),
                  5: ("leaseTransitions", "int", False), 6: ("strategy", "string", False),
                  7: ("preferredHolder", "string", False)},
    "Event": {1: ("metadata", "ObjectMeta", False), 2: ("involvedObject", "ObjectReference", False),
              3: ("reason", "string", False), 4: ("message", "string", False), 5: ("source", "EventSource", False),
              6: ("firstTimestamp", "time", False), 7: ("lastTimestamp", "time", False), 8: ("count", "int", False),
              9: ("type", "string", False), 10: ("eventTime", "microtime", False), 12: ("action", "string", False),
              13: ("related", "ObjectReference", False), 14: ("reportingComponent", "string", False),
              15: ("reportingInstance", "string", False)},
    "ObjectReference": {1: ("kind", "string", False), 2: ("namespace", "string", False), 3: ("name", "string", False),
                        4: ("uid", "string", False), 5: ("apiVersion", "string", False),
                        6: ("resourceVersion", "string", False), 7: ("fieldPath", "string", False)},
    "EventSource": {1: ("component", "string", False), 2: ("host", "string", False)},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int", False), 2: ("preconditions", "Preconditions", False),
                      3: ("orphanDependents", "bool", False), 4: ("propagationPolicy", "string", False),
                      5: ("dryRun", "string", True)},
    "Preconditions": {1: ("uid", "string", False), 2: ("resourceVersion", "string", False)},
    "Time": {1: ("seconds", "int", False), 2: ("nanos", "int", False)},
    "FieldsV1": {1: ("Raw", "bytes", False)},
}


def _varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise bad_request("protobuf body is truncated")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """(field number, wire type, value) triples of one message."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 1:
            value, pos = struct.unpack("<q", buf[pos:pos + 8])[0], pos + 8
        elif wire == 5:
            value, pos = struct.unpack("<i", buf[pos:pos + 4])[0], pos + 4
        else:
            raise bad_request(f"protobuf wire type {wire} is not supported")
        yield num, wire, value


_ZERO_TIME = "1970-01-01T00:00:00Z"
_ZERO_MICRO = "1970-01-01T00:00:00.000000Z"


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _time(buf, micro):
    t = decode(buf, "Time")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t.get("seconds", 0)))
    return stamp + (f".{t.get('nanos', 0) // 1000:06d}Z" if micro else "Z")


def _value(kind, raw):
    if kind == "string":
        return raw.decode("utf-8")
    if kind == "bytes":
        return raw
    if kind == "int":
        return _signed(raw)
    if kind == "bool":
        return bool(raw)
    if kind in ("time", "microtime"):
        return _time(raw, kind == "microtime")
    return decode(raw, kind)


def decode(buf, message):
    """One protobuf message as the JSON object Kubernetes would show for it."""
    schema = SCHEMA[message]
    out = {}
    for num, _, raw in _fields(buf):
        if num not in schema:
            continue
        name, kind, repeated = schema[num]
        if kind.startswith("map_"):
            entry = {n: v for n, _, v in _fields(raw)}
            key = entry.get(1, b"").decode("utf-8")
            val = entry.get(2, b"")
            out.setdefault(name, {})[key] = (
                base64.b64encode(val).decode() if kind == "map_bytes" else val.decode("utf-8")
            )
        elif repeated:
            out.setdefault(name, []).append(_value(kind, raw))
        else:
            value = _value(kind, raw)
            # Go writes empty strings, zeros and zero times; its JSON omits them (omitempty).
            if value not in ("", 0, False, None, _ZERO_TIME, _ZERO_MICRO):
                out[name] = value
    if message == "FieldsV1":
        return json.loads(out.get("Raw") or b"{}")
    return out


def decode_envelope(body):
    """A `k8s\\x00`-framed runtime.Unknown body as a JSON object with apiVersion and kind."""
    if not body.startswith(MAGIC):
        raise bad_request("protobuf body lacks the k8s envelope")
    unknown = decode(body[len(MAGIC):], "Unknown")
    meta = unknown.get("typeMeta") or {}
    kind = meta.get("kind", "")
    if kind not in SCHEMA or kind in ("Unknown", "TypeMeta", "Time"):
        raise bad_request(f"the stand-in cannot decode protobuf {kind or 'objects without a kind'}; send JSON")
    obj = decode(unknown.get("raw") or b"", kind)
    return dict({"apiVersion": meta.get("apiVersion", ""), "kind": kind}, **obj)
