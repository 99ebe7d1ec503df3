"""Discord's documented limits, checked the way Discord answers: 400 ``50035 Invalid
Form Body`` with a nested ``errors`` object (docs/reference "Error Messages").

Sources: docs/resources/message (content 2000, 10 embeds), docs/resources/message
"Embed Limits" (title 256, description 4096, 25 fields, field name 256 / value 1024,
footer 2048, author 256, total 6000), docs/components/reference (5 action rows of
5 buttons, custom_id ≤ 100, label ≤ 80, select options ≤ 25, 40 components with
IS_COMPONENTS_V2), docs/interactions/receiving-and-responding (modal title ≤ 45,
1–5 components, autocomplete ≤ 25 choices), docs/interactions/application-commands
(names 1–32, descriptions 1–100, ≤ 25 options/choices, 4000 characters per command).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .model import FLAG_COMPONENTS_V2, FLAG_EPHEMERAL, FLAG_LOADING

Json = dict[str, Any]
Path = tuple[str | int, ...]

MAX_CONTENT = 2000
MAX_EMBEDS = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000
MAX_ACTION_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_SELECT_OPTIONS = 25
MAX_V2_COMPONENTS = 40
MAX_FILES = 10
MODAL_TITLE = 45
MODAL_COMPONENTS = 5
MAX_CHOICES = 25

# flags a bot may set when sending (SUPPRESS_EMBEDS, EPHEMERAL, IS_COMPONENTS_V2,
# IS_VOICE_MESSAGE, SUPPRESS_NOTIFICATIONS)
SETTABLE_FLAGS = (1 << 2) | FLAG_EPHEMERAL | FLAG_COMPONENTS_V2 | (1 << 13) | (1 << 12)

_NAME_RE = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


@dataclass
class FieldError:
    path: Path
    code: str
    message: str


def errors_object(errors: list[FieldError]) -> Json:
    """Nest field errors the way Discord does.

    ``{"embeds": {"0": {"title": {"_errors": [...]}}}}``
    """
    root: Json = {}
    for err in errors:
        node = root
        for part in err.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": err.code, "message": err.message})
    return root


def _max_len(errors: list[FieldError], path: Path, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.append(
            FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        )


def _len_between(errors: list[FieldError], path: Path, value: Any, low: int, high: int) -> None:
    if not isinstance(value, str) or not (low <= len(value) <= high):
        errors.append(
            FieldError(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")
        )


def _too_many(errors: list[FieldError], path: Path, items: Any, limit: int) -> None:
    if isinstance(items, list) and len(items) > limit:
        errors.append(
            FieldError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
        )


# --- messages -------------------------------------------------------------------------


def check_embeds(embeds: Any, errors: list[FieldError]) -> None:
    if not isinstance(embeds, list):
        return
    _too_many(errors, ("embeds",), embeds, MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            errors.append(
                FieldError(
                    ("embeds", i),
                    "DICT_TYPE_CONVERT",
                    "Only dictionaries may be used in a DictType",
                )
            )
            continue
        base: Path = ("embeds", i)
        title = embed.get("title") or ""
        description = embed.get("description") or ""
        _max_len(errors, (*base, "title"), title, EMBED_TITLE)
        _max_len(errors, (*base, "description"), description, EMBED_DESCRIPTION)
        total += len(title) + len(description)
        fields = embed.get("fields") or []
        _too_many(errors, (*base, "fields"), fields, EMBED_FIELDS)
        for j, fld in enumerate(fields):
            name = str(fld.get("name", ""))
            value = str(fld.get("value", ""))
            if not name:
                errors.append(
                    FieldError(
                        (*base, "fields", j, "name"), "BASE_TYPE_REQUIRED", "This field is required"
                    )
                )
            if not value:
                errors.append(
                    FieldError(
                        (*base, "fields", j, "value"),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )
                )
            _max_len(errors, (*base, "fields", j, "name"), name, EMBED_FIELD_NAME)
            _max_len(errors, (*base, "fields", j, "value"), value, EMBED_FIELD_VALUE)
            total += len(name) + len(value)
        footer = (embed.get("footer") or {}).get("text") or ""
        _max_len(errors, (*base, "footer", "text"), footer, EMBED_FOOTER)
        author = (embed.get("author") or {}).get("name") or ""
        _max_len(errors, (*base, "author", "name"), author, EMBED_AUTHOR)
        total += len(footer) + len(author)
    if total > EMBED_TOTAL:
        errors.append(
            FieldError(
                ("embeds",),
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL}",
            )
        )


def _check_button(comp: Json, path: Path, errors: list[FieldError], seen: set[str]) -> None:
    style = comp.get("style")
    _max_len(errors, (*path, "label"), comp.get("label"), MAX_BUTTON_LABEL)
    if style == 5:  # link
        if not comp.get("url"):
            errors.append(
                FieldError((*path, "url"), "BASE_TYPE_REQUIRED", "This field is required")
            )
        if "custom_id" in comp:
            errors.append(
                FieldError(
                    (*path, "custom_id"),
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A custom id cannot be specified for link buttons",
                )
            )
        return
    if style == 6:  # premium
        return
    _check_custom_id(comp, path, errors, seen)


def _check_custom_id(comp: Json, path: Path, errors: list[FieldError], seen: set[str]) -> None:
    custom_id = comp.get("custom_id")
    if not custom_id:
        errors.append(
            FieldError((*path, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        )
        return
    _max_len(errors, (*path, "custom_id"), custom_id, MAX_CUSTOM_ID)
    if custom_id in seen:
        errors.append(
            FieldError(
                (*path, "custom_id"),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        )
    seen.add(custom_id)


def _check_select(comp: Json, path: Path, errors: list[FieldError], seen: set[str]) -> None:
    _check_custom_id(comp, path, errors, seen)
    _max_len(errors, (*path, "placeholder"), comp.get("placeholder"), 150)
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not options:
            errors.append(
                FieldError(
                    (*path, "options"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
                )
            )
        _too_many(errors, (*path, "options"), options, MAX_SELECT_OPTIONS)
        for k, opt in enumerate(options):
            _max_len(errors, (*path, "options", k, "label"), opt.get("label"), 100)
            _max_len(errors, (*path, "options", k, "value"), opt.get("value"), 100)
            _max_len(errors, (*path, "options", k, "description"), opt.get("description"), 100)
    for key in ("min_values", "max_values"):
        value = comp.get(key)
        if value is not None and not (0 <= int(value) <= 25):
            errors.append(
                FieldError(
                    (*path, key), "NUMBER_TYPE_MAX", "int value should be less than or equal to 25."
                )
            )


def _check_any(comp: Json, path: Path, errors: list[FieldError], seen: set[str]) -> int:
    """Checks one component and its children, returns how many components it holds."""
    ctype = comp.get("type")
    count = 1
    if ctype == 2:
        _check_button(comp, path, errors, seen)
    elif ctype in (3, 5, 6, 7, 8):
        _check_select(comp, path, errors, seen)
    elif ctype == 4:
        _check_custom_id(comp, path, errors, seen)
    children = comp.get("components")
    if isinstance(children, list):
        for k, child in enumerate(children):
            count += _check_any(child, (*path, "components", k), errors, seen)
    for key in ("accessory", "component"):
        child = comp.get(key)
        if isinstance(child, dict):
            count += _check_any(child, (*path, key), errors, seen)
    return count


def check_components(components: Any, flags: int, errors: list[FieldError]) -> None:
    if not isinstance(components, list):
        return
    seen: set[str] = set()
    if flags & FLAG_COMPONENTS_V2:
        total = 0
        for i, comp in enumerate(components):
            total += _check_any(comp, ("components", i), errors, seen)
        if total > MAX_V2_COMPONENTS:
            errors.append(
                FieldError(
                    ("components",),
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {MAX_V2_COMPONENTS} or fewer in length.",
                )
            )
        return
    _too_many(errors, ("components",), components, MAX_ACTION_ROWS)
    for i, row in enumerate(components):
        path: Path = ("components", i)
        if row.get("type") != 1:
            errors.append(
                FieldError(
                    (*path, "type"),
                    "UNION_TYPE_CHOICES",
                    'Value of field "type" must be one of (1,).',
                )
            )
            continue
        children = row.get("components") or []
        if not children:
            errors.append(
                FieldError(
                    (*path, "components"), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."
                )
            )
        _too_many(errors, (*path, "components"), children, MAX_ROW_BUTTONS)
        has_select = any(c.get("type") in (3, 5, 6, 7, 8) for c in children)
        if has_select and len(children) > 1:
            errors.append(
                FieldError(
                    (*path, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "The specified component exceeds the maximum width",
                )
            )
        for k, child in enumerate(children):
            _check_any(child, (*path, "components", k), errors, seen)


def check_message(
    body: Json,
    *,
    file_count: int = 0,
    require_content: bool = True,
    existing: Json | None = None,
) -> list[FieldError]:
    """Limits for a message create/edit body (channel messages, callbacks, webhooks)."""
    errors: list[FieldError] = []
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        errors.append(
            FieldError(("content",), "STRING_TYPE_CONVERT", "Could not interpret value as string.")
        )
    _max_len(errors, ("content",), content, MAX_CONTENT)
    check_embeds(body.get("embeds"), errors)
    flags = int(body.get("flags") or (existing or {}).get("flags") or 0)
    check_components(body.get("components"), flags, errors)
    attachments = body.get("attachments")
    if file_count > MAX_FILES or (isinstance(attachments, list) and len(attachments) > MAX_FILES):
        errors.append(
            FieldError(
                ("attachments",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_FILES} or fewer in length."
            )
        )
    if flags & FLAG_COMPONENTS_V2 and (body.get("content") or body.get("embeds")):
        errors.append(
            FieldError(
                ("content",),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content' and 'embeds' fields cannot be used "
                "when using MessageFlags.IS_COMPONENTS_V2",
            )
        )
    return errors


def is_empty_message(data: Json, file_count: int = 0) -> bool:
    return not (
        data.get("content")
        or data.get("embeds")
        or data.get("components")
        or data.get("attachments")
        or data.get("sticker_ids")
        or data.get("poll")
        or file_count
    )


def check_flags(flags: int, errors: list[FieldError], *, allowed: int = SETTABLE_FLAGS) -> None:
    if flags & ~allowed & ~FLAG_LOADING:
        errors.append(FieldError(("flags",), "MESSAGE_FLAGS_INVALID", "Invalid flags"))


# --- interaction responses ------------------------------------------------------------


def check_modal(data: Json) -> list[FieldError]:
    errors: list[FieldError] = []
    base: Path = ("data",)
    custom_id = data.get("custom_id")
    if not custom_id:
        errors.append(
            FieldError((*base, "custom_id"), "BASE_TYPE_REQUIRED", "This field is required")
        )
    _max_len(errors, (*base, "custom_id"), custom_id, MAX_CUSTOM_ID)
    _len_between(errors, (*base, "title"), data.get("title"), 1, MODAL_TITLE)
    comps = data.get("components") or []
    if not (1 <= len(comps) <= MODAL_COMPONENTS):
        errors.append(
            FieldError(
                (*base, "components"),
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {MODAL_COMPONENTS} in length.",
            )
        )
    seen: set[str] = set()
    for i, comp in enumerate(comps):
        path: Path = (*base, "components", i)
        _check_any(comp, path, errors, seen)
        label = comp.get("label")
        _max_len(errors, (*path, "label"), label, 45)
        for inner in [*(comp.get("components") or []), comp.get("component") or {}]:
            if inner.get("type") == 4:
                _max_len(errors, (*path, "label"), inner.get("label"), 45)
                _max_len(errors, (*path, "placeholder"), inner.get("placeholder"), 100)
                _max_len(errors, (*path, "value"), inner.get("value"), 4000)
    return errors


def check_choices(data: Json) -> list[FieldError]:
    errors: list[FieldError] = []
    choices = data.get("choices")
    if not isinstance(choices, list):
        errors.append(
            FieldError(("data", "choices"), "BASE_TYPE_REQUIRED", "This field is required")
        )
        return errors
    _too_many(errors, ("data", "choices"), choices, MAX_CHOICES)
    for i, choice in enumerate(choices):
        _len_between(errors, ("data", "choices", i, "name"), choice.get("name"), 1, 100)
        value = choice.get("value")
        if isinstance(value, str):
            _max_len(errors, ("data", "choices", i, "value"), value, 100)
    return errors


# --- application commands -------------------------------------------------------------


def _command_chars(cmd: Json) -> int:
    total = len(cmd.get("name", "")) + len(cmd.get("description", "") or "")
    for opt in cmd.get("options") or []:
        total += _command_chars(opt)
    for choice in cmd.get("choices") or []:
        total += len(str(choice.get("name", ""))) + len(str(choice.get("value", "")))
    return total


def _check_options(options: Any, path: Path, errors: list[FieldError]) -> None:
    if not isinstance(options, list):
        return
    _too_many(errors, path, options, 25)
    seen_optional = False
    names: set[str] = set()
    for i, opt in enumerate(options):
        opath: Path = (*path, i)
        name = opt.get("name", "")
        if not _NAME_RE.match(name) or name != name.lower():
            errors.append(
                FieldError(
                    (*opath, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"
                )
            )
        if name in names:
            errors.append(
                FieldError(
                    (*opath, "name"),
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option name already exists",
                )
            )
        names.add(name)
        _len_between(errors, (*opath, "description"), opt.get("description"), 1, 100)
        otype = opt.get("type")
        if otype in (1, 2):
            _check_options(opt.get("options"), (*opath, "options"), errors)
            continue
        if opt.get("required"):
            if seen_optional:
                errors.append(
                    FieldError(
                        (*opath, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        choices = opt.get("choices")
        if choices:
            _too_many(errors, (*opath, "choices"), choices, 25)
            if opt.get("autocomplete"):
                errors.append(
                    FieldError(
                        (*opath, "autocomplete"),
                        "AUTOCOMPLETE_AND_CHOICES_MUTUALLY_EXCLUSIVE",
                        "Autocomplete cannot be used with choices",
                    )
                )
            for k, choice in enumerate(choices):
                _len_between(errors, (*opath, "choices", k, "name"), choice.get("name"), 1, 100)
                if isinstance(choice.get("value"), str):
                    _max_len(errors, (*opath, "choices", k, "value"), choice.get("value"), 100)


INTEGRATION_TYPES = frozenset({0, 1})  # GUILD_INSTALL, USER_INSTALL
INTERACTION_CONTEXTS = frozenset({0, 1, 2})  # GUILD, BOT_DM, PRIVATE_CHANNEL


def _check_enum_list(
    cmd: Json, key: str, allowed: frozenset[int], path: Path, errors: list[FieldError]
) -> None:
    """``integration_types``/``contexts``: null or absent, else a list of known values."""
    values = cmd.get(key)
    if values is None:
        return
    if not isinstance(values, list):
        errors.append(FieldError((*path, key), "BASE_TYPE_ARRAY", "Must be an array"))
        return
    for j, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            errors.append(
                FieldError(
                    (*path, key, j),
                    "ENUM_TYPE_COERCE",
                    f'Value "{value}" is not a valid enum value.',
                )
            )


def check_commands(commands: Any) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(commands, list):
        errors.append(FieldError((), "BASE_TYPE_ARRAY", "Must be an array"))
        return errors
    seen: set[tuple[int, str]] = set()
    per_type: dict[int, int] = {}
    for i, cmd in enumerate(commands):
        path: Path = (i,)
        ctype = int(cmd.get("type", 1))
        per_type[ctype] = per_type.get(ctype, 0) + 1
        name = cmd.get("name", "")
        if ctype == 1:
            if not _NAME_RE.match(name) or name != name.lower():
                errors.append(
                    FieldError(
                        (*path, "name"),
                        "APPLICATION_COMMAND_INVALID_NAME",
                        "Command name is invalid",
                    )
                )
            _len_between(errors, (*path, "description"), cmd.get("description"), 1, 100)
        else:
            _len_between(errors, (*path, "name"), name, 1, 32)
            if cmd.get("description"):
                errors.append(
                    FieldError(
                        (*path, "description"),
                        "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                        "Context menu commands cannot have description",
                    )
                )
        if (ctype, name) in seen:
            errors.append(
                FieldError(
                    (*path, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {name}",
                )
            )
        seen.add((ctype, name))
        _check_enum_list(cmd, "integration_types", INTEGRATION_TYPES, path, errors)
        _check_enum_list(cmd, "contexts", INTERACTION_CONTEXTS, path, errors)
        _check_options(cmd.get("options"), (*path, "options"), errors)
        if _command_chars(cmd) > 4000:
            errors.append(
                FieldError(
                    path, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)"
                )
            )
    if per_type.get(1, 0) > 100:
        errors.append(
            FieldError((), "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer chat input commands.")
        )
    for ctype in (2, 3):
        if per_type.get(ctype, 0) > 15:
            errors.append(
                FieldError(
                    (),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 15 or fewer context menu commands of a type.",
                )
            )
    return errors
