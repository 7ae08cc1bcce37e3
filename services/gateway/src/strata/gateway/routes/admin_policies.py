"""Admin policy: readable by every account, editable by superusers, every change audited; the
audit names the accounts that made changes, so only superusers read it.

Editing the policy never touches a run: each run froze its own snapshot when it was created."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import ValidationError

from strata.contracts.policy import PolicySnapshot
from strata.gateway.api_models import ErrorBody, Policy, PolicyAuditPage, PolicyChange
from strata.gateway.sql import Q
from strata.gateway.web.auth import Caller, Superuser
from strata.gateway.web.cursors import decode_id_cursor, split_page
from strata.gateway.web.deps import Limit, Res
from strata.gateway.web.errors import ApiError, describe_validation_errors

router = APIRouter(tags=["admin"])


def _effective(stored: dict[str, Any]) -> dict[str, Any]:
    return PolicySnapshot.model_validate(stored).model_dump(mode="json")


@router.get("/admin/policies")
async def get_policies(caller: Caller, res: Res) -> Policy:
    row = await res.pool.fetchrow(Q.get_policy)
    return Policy(
        settings=_effective(row["settings"]),
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


_FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "not a superuser"}
}


@router.patch("/admin/policies", responses=_FORBIDDEN)
async def patch_policies(changes: dict[str, Any], admin: Superuser, res: Res) -> Policy:
    """Change some keys; the result must validate as a whole (types and bounds)."""
    unknown = sorted(set(changes) - set(PolicySnapshot.model_fields))
    if unknown:
        raise ApiError(422, "invalid_policy", f"unknown policy keys: {', '.join(unknown)}")
    async with res.pool.acquire() as conn, conn.transaction():
        current = await conn.fetchrow(Q.lock_policy)
        old = _effective(current["settings"])
        try:
            new = PolicySnapshot.model_validate({**old, **changes}).model_dump(mode="json")
        except ValidationError as exc:
            raise ApiError(
                422, "invalid_policy", describe_validation_errors(exc.errors())
            ) from None
        changed = sorted(k for k in new if new[k] != old[k])
        if not changed:
            return Policy(
                settings=old, updated_at=current["updated_at"], updated_by=current["updated_by"]
            )
        row = await conn.fetchrow(Q.update_policy, new, admin.id)
        await conn.execute(Q.insert_policy_audit, admin.id, changed, old, new)
    return Policy(settings=new, updated_at=row["updated_at"], updated_by=row["updated_by"])


@router.get("/admin/policies/audit", responses=_FORBIDDEN)
async def policy_audit(
    admin: Superuser,
    res: Res,
    limit: Limit,
    cursor: Annotated[
        str | None, Query(description="next_cursor of the previous page")
    ] = None,
) -> PolicyAuditPage:
    rows = await res.pool.fetch(Q.list_policy_audit, decode_id_cursor(cursor), limit + 1)
    page, more = split_page(rows, limit)
    items = [PolicyChange.model_validate(dict(r)) for r in page]
    return PolicyAuditPage(items=items, next_cursor=items[-1].id if more else None)
