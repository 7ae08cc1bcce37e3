"""The builder's vocabulary: a schema described as a list of typed fields (what people edit)
instead of JSON Schema (what the worker runs). `builder.py` converts between the two."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from strata.contracts.schemas import PromptConfig

FieldType = Literal["text", "number", "integer", "boolean", "date", "choice", "list", "group"]
ItemType = Literal["text", "number", "integer", "boolean", "date", "choice", "group"]

# A field name becomes a JSON key and an export column: letters, digits, underscores.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
DEFAULT_INSTRUCTIONS = PromptConfig.model_fields["system_instructions"].default


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_kind_options(
    *,
    kind: str,
    options: list[str] | None,
    fields: "list[FieldSpec] | None",
    max_length: int | None,
) -> None:
    """Each attribute belongs to one type; a stray one is a mistake worth naming."""
    if (kind == "choice") != (options is not None):
        raise ValueError("options are required for a choice, and only for a choice")
    if options is not None and len(set(options)) != len(options):
        raise ValueError("options must be distinct")
    if (kind == "group") != (fields is not None):
        raise ValueError("fields are required for a group, and only for a group")
    if fields is not None:
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            raise ValueError("sub-field names must be distinct")
    if max_length is not None and kind != "text":
        raise ValueError("max_length applies to text only")


class ItemSpec(_Strict):
    """What a list holds: one type, with its options or sub-fields."""

    type: ItemType
    options: list[str] | None = Field(None, min_length=1, max_length=200)
    fields: "list[FieldSpec] | None" = Field(None, min_length=1, max_length=100)
    max_length: int | None = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _consistent(self) -> "ItemSpec":
        _check_kind_options(
            kind=self.type, options=self.options, fields=self.fields, max_length=self.max_length
        )
        return self


class FieldSpec(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    type: FieldType
    label: str | None = Field(None, max_length=200, description="shown to people; the JSON title")
    description: str | None = Field(None, max_length=2000)
    required: bool = Field(True, description="the key is always present in an answer")
    nullable: bool = Field(True, description="null is allowed when the block has no value")
    instructions: str | None = Field(
        None, max_length=4000, description="how to extract it (top-level fields only)"
    )
    options: list[str] | None = Field(None, min_length=1, max_length=200)
    items: ItemSpec | None = None
    fields: "list[FieldSpec] | None" = Field(None, min_length=1, max_length=100)
    max_length: int | None = Field(None, ge=1, le=10_000, description="text only")
    max_items: int | None = Field(None, ge=1, le=1000, description="list only")
    keywords: list[str] | None = Field(
        None, min_length=1, max_length=50, description="boolean only: words that mean true"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        _check_kind_options(
            kind=self.type, options=self.options, fields=self.fields, max_length=self.max_length
        )
        if (self.type == "list") != (self.items is not None):
            raise ValueError("items are required for a list, and only for a list")
        if self.max_items is not None and self.type != "list":
            raise ValueError("max_items applies to a list only")
        if self.keywords is not None and self.type != "boolean":
            raise ValueError("keywords apply to a boolean only")
        for sub in [*(self.fields or []), *((self.items.fields or []) if self.items else [])]:
            if sub.instructions is not None:
                raise ValueError(
                    f"sub-field {sub.name!r}: instructions go on top-level fields "
                    "(use its description)"
                )
        return self


class BuilderSpec(_Strict):
    """A whole schema version in builder form: fields plus the run-wide prompt settings."""

    fields: list[FieldSpec] = Field(min_length=1, max_length=200)
    instructions: str = Field(DEFAULT_INSTRUCTIONS, min_length=1, max_length=20_000)
    # As PromptConfig has it: a blank model would fail every call of every run.
    model: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    # Strict: a JSON `false` is not a temperature, nor `1.5` a token count.
    temperature: Annotated[float, Strict()] | Annotated[int, Strict()] | None = Field(
        None, ge=0, le=1
    )
    max_tokens: Annotated[int, Strict()] | None = Field(None, ge=16, le=64000)

    @model_validator(mode="after")
    def _distinct(self) -> "BuilderSpec":
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be distinct")
        return self
