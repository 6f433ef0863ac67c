"""Who a request is: `SelfSubjectReview` (authentication.k8s.io/v1), answered per bearer
token from a token -> user table the test sets (control API `POST .../users`), as an API
server with token authentication does. With no table the cluster authenticates nobody:
every request is `system:anonymous` (anonymous auth on), so clients fall back as they
would against such a cluster."""

from .errors import ApiError, bad_request

PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"

ANONYMOUS = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}


def user_info(users, header):
    """The userInfo of the request's bearer token; 401 for a token the table does not know
    (a real server rejects it before any handler runs)."""
    if not users:
        return dict(ANONYMOUS)
    token = ""
    if header and header.startswith("Bearer "):
        token = header[len("Bearer "):].strip()
    info = users.get(token)
    if info is None:
        raise ApiError(401, "Unauthorized", "Unauthorized")
    out = {"username": info["username"], "groups": list(info.get("groups") or ["system:authenticated"])}
    if info.get("uid"):
        out["uid"] = info["uid"]
    if info.get("extra"):
        out["extra"] = {k: list(v) for k, v in info["extra"].items()}
    return out


def review(users, header, body):
    """The created review: the request's kind and apiVersion back, with status.userInfo.
    A review names no one in its spec (it has none): whatever the body says, the answer is
    about the caller."""
    if not isinstance(body, dict) or body.get("kind") not in (None, "SelfSubjectReview"):
        raise bad_request("the body is not a SelfSubjectReview")
    meta = body.get("metadata") or {}
    return {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None, **({"name": meta["name"]} if meta.get("name") else {})},
        "status": {"userInfo": user_info(users, header)},
    }


def set_users(body):
    """The control API's table: `{"tokens": {"TOKEN": {"username": ..., "groups": [...],
    "extra": {...}}}}`; an empty object authenticates nobody again."""
    tokens = body.get("tokens")
    if not isinstance(tokens, dict):
        raise ValueError('want {"tokens": {"TOKEN": {"username": NAME, ...}}}')
    for token, info in tokens.items():
        if not isinstance(info, dict) or not info.get("username"):
            raise ValueError(f"token {token!r}: want an object with a username")
    return dict(tokens)
