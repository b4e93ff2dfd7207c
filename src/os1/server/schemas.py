"""The shapes of what enters and leaves over HTTP (pydantic at the edge only)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignIn(Strict):
    """Sign in with a name and password, an API key, or a one-time code from `os1 serve`."""

    name: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=1024)
    key: str | None = Field(default=None, max_length=200)
    code: str | None = Field(default=None, max_length=200)


class AccountOut(BaseModel):
    name: str
    is_admin: bool
    disabled: bool = False
    created_at: float = 0.0
    has_password: bool = False
    keys: int = 0


class Me(BaseModel):
    name: str
    is_admin: bool
    companion: str | None
    live_conversations: int


class NewUser(Strict):
    name: str = Field(min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    admin: bool = False


class NewUserOut(BaseModel):
    account: AccountOut
    key: str = Field(description="The API key, shown this once; only its hash is kept.")


class ExchangeOut(BaseModel):
    role: str
    text: str
    status: str
    created_at: float
