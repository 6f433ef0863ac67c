"""The resource types a stand-in cluster serves, as the real API and Argo CD's CRDs define them."""

from dataclasses import dataclass

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    """One REST resource: where it lives, what it is called, how the server treats it."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple = ()
    # A /status subresource: the main resource then ignores status, /status ignores the rest.
    status_subresource: bool = False
    # Whether metadata.generation is kept (custom resources always; configmaps never).
    generation: bool = False
    # Built-in types accept strategic merge patches; custom resources answer 415.
    custom: bool = False
    field_labels: tuple = ()
    # (column name, JSON path as a tuple of keys, priority) for kubectl's Table view.
    columns: tuple = ()
    categories: tuple = ()

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self):
        """How the real server names the type in messages: `applications.argoproj.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self):
        return f"{self.group}/{self.plural}"


def _rt(group, version, plural, kind, namespaced, **kw):
    return ResourceType(group, version, plural, kind.lower(), kind, namespaced, **kw)


TYPES = [
    _rt(
        "", "v1", "namespaces", "Namespace", False, short_names=("ns",), status_subresource=True,
        field_labels=("status.phase",), columns=(("Status", ("status", "phase"), 0),),
    ),
    _rt(
        "", "v1", "secrets", "Secret", True, field_labels=("type",),
        columns=(("Type", ("type",), 0), ("Data", ("data", "#"), 0)),
    ),
    _rt("", "v1", "configmaps", "ConfigMap", True, short_names=("cm",), columns=(("Data", ("data", "#"), 0),)),
    _rt(
        "", "v1", "events", "Event", True, short_names=("ev",),
        field_labels=(
            "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
            "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
            "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
        ),
    ),
    _rt(
        "coordination.k8s.io", "v1", "leases", "Lease", True,
        columns=(("Holder", ("spec", "holderIdentity"), 0),),
    ),
    # Argo CD's CRDs: Applications and AppProjects have no status subresource (`subresources: {}`
    # in application-crd.yaml), ApplicationSets do. Columns are the CRDs' additionalPrinterColumns.
    _rt(
        "argoproj.io", "v1alpha1", "applications", "Application", True, short_names=("app", "apps"),
        generation=True, custom=True, categories=("argoproj",),
        columns=(
            ("Sync Status", ("status", "sync", "status"), 0),
            ("Health Status", ("status", "health", "status"), 0),
            ("Revision", ("status", "sync", "revision"), 10),
            ("Project", ("spec", "project"), 10),
        ),
    ),
    _rt(
        "argoproj.io", "v1alpha1", "applicationsets", "ApplicationSet", True,
        short_names=("appset", "appsets"), status_subresource=True, generation=True, custom=True,
        categories=("argoproj",),
    ),
    _rt(
        "argoproj.io", "v1alpha1", "appprojects", "AppProject", True, short_names=("appproj", "appprojs"),
        generation=True, custom=True, categories=("argoproj",),
    ),
]

BY_PATH = {(t.group, t.version, t.plural): t for t in TYPES}
BY_KIND = {(t.api_version, t.kind): t for t in TYPES}


def lookup(group, version, plural):
    return BY_PATH.get((group, version, plural))


def groups():
    """Named API groups in the order discovery lists them: {group: version}."""
    out = {}
    for t in TYPES:
        if t.group:
            out.setdefault(t.group, t.version)
    return out

