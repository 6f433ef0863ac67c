"""AWS Query-protocol requests checked against the service model that botocore ships.

The `botocore` package (in the moto venv that scripts/ci-backends.sh installs) carries every
AWS service's own API description: botocore/data/<service>/<version>/service-2.json(.gz),
the document AWS generates its SDKs from. Where no server implements an API (ElastiCache
global datastores; Aurora's global switchover and failover on moto), the stand-ins read
requests and write answers through this module, so both follow that description:

- a request's `Action` must be an operation of the service and its `Version` the model's;
  every parameter is read as botocore's Query serializer writes it (structures `A.B`, lists
  `A.member.N` or `A.<locationName>.N`, maps `A.entry.N.key`), checked for type, enum,
  range, length and pattern, and required members must be there; a parameter the input
  shape does not have is a violation;
- the request must be signed with SigV4 for the service's signing name;
- an answer is written as `<OpResponse><OpResult>...</OpResult><ResponseMetadata>` from the
  operation's output shape (a field the shape does not have is a violation of the
  stand-in itself), and an error as `<ErrorResponse>` with the error shape's code and HTTP
  status (an error the operation does not declare is a violation too).

Python 3.11 standard library plus an installed botocore (only its data files are read).
"""

import gzip
import json
import re
import uuid
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape


def botocore_data():
    """The folder of botocore's service models, from the installed package."""
    import botocore  # noqa: PLC0415 (only its location is used)

    return Path(botocore.__file__).resolve().parent / "data"


def load_model(service, version):
    base = botocore_data() / service / version
    plain = base / "service-2.json"
    if plain.exists():
        return json.loads(plain.read_text())
    with gzip.open(base / "service-2.json.gz", "rt") as f:
        return json.load(f)


class ApiError(Exception):
    """Raised by a handler: answer with the model's error `shape` (e.g.
    GlobalReplicationGroupNotFoundFault) and a message."""

    def __init__(self, shape, message):
        super().__init__(message)
        self.shape = shape
        self.message = message


class ServiceModel:
    """One service's model: read requests, write answers and errors."""

    def __init__(self, service, version):
        self.service = service
        self.doc = load_model(service, version)
        self.meta = self.doc["metadata"]
        self.shapes = self.doc["shapes"]
        self.ops = self.doc["operations"]
        self.signing = self.meta.get("signingName", self.meta["endpointPrefix"])

    # -- requests ------------------------------------------------------------------------

    def read(self, params, headers):
        """(operation name, arguments, violations) for a decoded form body (`params`: the
        last value of each key)."""
        out = []
        action = params.get("Action")
        op = self.ops.get(action or "")

        def bad(where, field, expected, got):
            out.append({"operation": action if op else None, "where": where, "field": field,
                        "expected": expected, "got": got})

        auth = headers.get("Authorization") or ""
        m = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request", auth)
        if not auth.startswith("AWS4-HMAC-SHA256") or not m:
            bad("header", "Authorization", "a SigV4 signature (AWS4-HMAC-SHA256)", auth[:40] or "none")
        elif m.group(2) != self.signing:
            bad("header", "Authorization", f"signed for service {self.signing}", m.group(2))
        if op is None:
            bad("body", "Action", f"an operation of {self.meta['serviceId']}", action)
            return action, {}, out
        if params.get("Version") != self.meta["apiVersion"]:
            bad("body", "Version", self.meta["apiVersion"], params.get("Version"))
        used = {"Action", "Version"}
        args = {}
        if "input" in op:
            args = self._read(self.shapes[op["input"]["shape"]], "", params, used, bad)
        for k in sorted(set(params) - used):
            bad("body", k, f"a member of {op.get('input', {}).get('shape', 'no input')}", "unknown parameter")
        return action, args, out

    def _present(self, params, prefix):
        return any(k == prefix or k.startswith(prefix + ".") for k in params)

    def _read(self, shape, prefix, params, used, bad):
        t = shape["type"]
        if t == "structure":
            got = {}
            for name, member in shape.get("members", {}).items():
                key = member.get("locationName", name)
                p = f"{prefix}.{key}" if prefix else key
                if self._present(params, p):
                    got[name] = self._read(self.shapes[member["shape"]], p, params, used, bad)
            for r in shape.get("required", []):
                if r not in got:
                    bad("body", f"{prefix}.{r}" if prefix else r, "present (required)", "missing")
            return got
        if t == "list":
            member = shape["member"]
            if shape.get("flattened"):
                lp = prefix
            else:
                lp = f"{prefix}.{member.get('locationName', 'member')}"
            if params.get(prefix) == "" and prefix not in used:
                used.add(prefix)
                return []
            idx = sorted({int(k[len(lp) + 1:].split(".")[0]) for k in params
                          if k.startswith(lp + ".") and k[len(lp) + 1:].split(".")[0].isdigit()})
            items = [self._read(self.shapes[member["shape"]], f"{lp}.{i}", params, used, bad) for i in idx]
            if idx and idx != list(range(1, len(idx) + 1)):
                bad("body", lp, "indexes 1..N", idx)
            return items
        if t == "map":
            out = {}
            i = 1
            while self._present(params, f"{prefix}.entry.{i}"):
                k = self._read(self.shapes[shape["key"]["shape"]], f"{prefix}.entry.{i}.key", params, used, bad)
                v = self._read(self.shapes[shape["value"]["shape"]], f"{prefix}.entry.{i}.value", params, used, bad)
                out[k] = v
                i += 1
            return out
        if prefix not in params:
            bad("body", prefix, t, "a structure where a value belongs")
            return None
        used.add(prefix)
        return self._scalar(shape, prefix, params[prefix], bad)

    def _scalar(self, shape, where, text, bad):
        t = shape["type"]
        if t == "boolean":
            if text not in ("true", "false"):
                bad("body", where, "true or false", text)
            return text == "true"
        if t in ("integer", "long"):
            try:
                v = int(text)
            except ValueError:
                bad("body", where, t, text)
                return None
            if "min" in shape and v < shape["min"]:
                bad("body", where, f">= {shape['min']}", v)
            if "max" in shape and v > shape["max"]:
                bad("body", where, f"<= {shape['max']}", v)
            return v
        if t in ("double", "float"):
            try:
                return float(text)
            except ValueError:
                bad("body", where, t, text)
                return None
        if t == "timestamp":
            try:
                return datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                bad("body", where, "an ISO 8601 timestamp", text)
                return None
        if "enum" in shape and text not in shape["enum"]:
            bad("body", where, f"one of {shape['enum']}", text)
        if "min" in shape and len(text) < shape["min"]:
            bad("body", where, f"at least {shape['min']} characters", len(text))
        if "max" in shape and len(text) > shape["max"]:
            bad("body", where, f"at most {shape['max']} characters", len(text))
        if "pattern" in shape and not re.search(shape["pattern"], text):
            bad("body", where, f"matching {shape['pattern']}", text)
        return text

    # -- answers -------------------------------------------------------------------------

    def answer(self, action, data):
        """(XML bytes, violations) for operation `action` answering `data` (a dict keyed
        like the output shape)."""
        op = self.ops[action]
        out = []
        inner = ""
        if "output" in op:
            shape = self.shapes[op["output"]["shape"]]
            inner = self._members(shape, data, op["output"]["shape"], out)
            wrapper = op["output"].get("resultWrapper", f"{action}Result")
            inner = f"<{wrapper}>{inner}</{wrapper}>"
        ns = self.meta["xmlNamespace"]
        body = (f'<{action}Response xmlns="{ns}">{inner}'
                f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                f"</{action}Response>")
        for v in out:
            v["operation"] = action
        return body.encode(), out

    def _members(self, shape, data, at, out):
        parts = []
        members = shape.get("members", {})
        for k in data:
            if k not in members:
                out.append({"where": "response", "field": f"{at}.{k}",
                            "expected": f"a member of {at}", "got": "unknown member"})
        for name, member in members.items():
            if data.get(name) is None:
                continue
            tag = member.get("locationName", name)
            parts.append(self._xml(self.shapes[member["shape"]], data[name], tag, f"{at}.{name}", out))
        return "".join(parts)

    def _xml(self, shape, value, tag, at, out):
        t = shape["type"]
        if t == "structure":
            if not isinstance(value, dict):
                out.append({"where": "response", "field": at, "expected": "a structure", "got": type(value).__name__})
                return ""
            return f"<{tag}>{self._members(shape, value, at, out)}</{tag}>"
        if t == "list":
            member = shape["member"]
            name = member.get("locationName", "member")
            items = "".join(self._xml(self.shapes[member["shape"]], v, name, f"{at}[]", out) for v in value)
            return items if shape.get("flattened") else f"<{tag}>{items}</{tag}>"
        if t == "boolean":
            return f"<{tag}>{'true' if value else 'false'}</{tag}>"
        if t == "timestamp":
            if isinstance(value, (int, float)):
                value = datetime.fromtimestamp(value, timezone.utc)
            text = value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" if isinstance(value, datetime) else str(value)
            return f"<{tag}>{text}</{tag}>"
        if "enum" in shape and value not in shape["enum"]:
            out.append({"where": "response", "field": at, "expected": f"one of {shape['enum']}", "got": value})
        return f"<{tag}>{escape(str(value))}</{tag}>"

    def error(self, action, shape_name, message):
        """(HTTP status, XML bytes, violations) for an error the operation may answer."""
        out = []
        shape = self.shapes.get(shape_name, {})
        err = shape.get("error", {})
        declared = [e["shape"] for e in self.ops.get(action, {}).get("errors", [])]
        if shape_name not in declared:
            out.append({"operation": action, "where": "response", "field": "Error.Code",
                        "expected": f"one of {declared}", "got": shape_name})
        code = err.get("code", shape_name)
        status = err.get("httpStatusCode", 400)
        kind = "Sender" if err.get("senderFault", True) else "Receiver"
        ns = self.meta["xmlNamespace"]
        body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type><Code>{escape(code)}</Code>'
                f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                f"</ErrorResponse>")
        return status, body.encode(), out
