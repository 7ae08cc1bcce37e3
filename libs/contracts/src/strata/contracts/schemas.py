"""Extraction schemas: JSON Schema `properties` plus how to prompt for them."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class PromptConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system_instructions: str = "Extract the requested fields from each block of the document."
    field_instructions: dict[str, str] = Field(default_factory=dict)
    model: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    temperature: float | None = Field(None, ge=0.0, le=1.0)
    max_tokens: int | None = Field(None, ge=16, le=64000)


class SchemaDefinition(BaseModel):
    """The JSON Schema an answer for one block must satisfy (an object with `properties`)."""

    model_config = ConfigDict(extra="allow")

    type: str = "object"
    properties: dict[str, dict[str, Any]]
    required: list[str] = Field(default_factory=list)

    @field_validator("properties")
    @classmethod
    def _non_empty(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if not value:
            raise ValueError("properties must name at least one field")
        return value

    @field_validator("type")
    @classmethod
    def _object(cls, value: str) -> str:
        if value != "object":
            raise ValueError("an extraction schema describes one object per block")
        return value

    def json_schema(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)
