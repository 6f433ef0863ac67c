"""Kubernetes `Status` errors: every failure the API answers is one of these."""


class ApiError(Exception):
    """An error the API answers as a `Status` object with an HTTP code."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def _details(rt, name):
    d = {"kind": rt.plural}
    if rt.group:
        d["group"] = rt.group
    if name:
        d["name"] = name
    return d


def not_found(rt, name):
    return ApiError(404, "NotFound", f'{rt.qualified} "{name}" not found', _details(rt, name))


def already_exists(rt, name):
    return ApiError(409, "AlreadyExists", f'{rt.qualified} "{name}" already exists', _details(rt, name))


def conflict(rt, name):
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        _details(rt, name),
    )


def invalid(rt, name, causes):
    """422 Invalid; `causes` is a list of (field, message) pairs."""
    text = "; ".join(f"{f}: {m}" for f, m in causes)
    details = _details(rt, name)
    details["kind"] = rt.kind
    details["causes"] = [{"reason": "FieldValueInvalid", "message": m, "field": f} for f, m in causes]
    return ApiError(422, "Invalid", f'{rt.kind}.{rt.group or "core"} "{name}" is invalid: {text}', details)


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def no_route():
    return ApiError(404, "NotFound", "the server could not find the requested resource", None)


def method_not_allowed(method, what):
    return ApiError(405, "MethodNotAllowed", f"{method} is not supported on {what}")


def unsupported_media(content_type, accepted):
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: {', '.join(accepted)}",
    )


def expired(requested, oldest):
    return ApiError(410, "Expired", f"too old resource version: {requested} ({oldest})")
