"""Names of choice sets in the OpenAPI schema, contributed by modules.

drf-spectacular names an enum after its field; where two modules' fields share a name
(``status``, ``source``), a module gives its choices their own name in AppConfig.ready()
with ``register_enum(name, dotted_path_to_choices)``. The settings point
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] at this dict, so they name no module."""

ENUM_NAME_OVERRIDES: dict[str, str] = {}


def register_enum(name: str, choices: str) -> None:
    ENUM_NAME_OVERRIDES[name] = choices
