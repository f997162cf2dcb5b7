from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from switchboard.kit.deps import Session
from switchboard.kit.pagination import Page, Paging, to_page
from switchboard.tasks.schemas import TaskCreate, TaskRead, TaskUpdate
from switchboard.tasks.service import TaskFilters, TaskService
from switchboard.tenancy.deps import CurrentUser

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


@router.get("", response_model=Page[TaskRead])
async def list_tasks(
    user: CurrentUser,
    session: Session,
    paging: Paging,
    filters: Annotated[TaskFilters, Depends()],
) -> Page[TaskRead]:
    return to_page(TaskRead, *await TaskService(session, user).list_page(filters, paging))


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED)
async def create_task(data: TaskCreate, user: CurrentUser, session: Session) -> TaskRead:
    return TaskRead.model_validate(await TaskService(session, user).create(data))


@router.get("/{task_id}", response_model=TaskRead)
async def get_task(task_id: uuid.UUID, user: CurrentUser, session: Session) -> TaskRead:
    return TaskRead.model_validate(await TaskService(session, user).get(task_id))


@router.patch("/{task_id}", response_model=TaskRead)
async def update_task(
    task_id: uuid.UUID, data: TaskUpdate, user: CurrentUser, session: Session
) -> TaskRead:
    return TaskRead.model_validate(await TaskService(session, user).update(task_id, data))


@router.post("/{task_id}/complete", response_model=TaskRead)
async def complete_task(task_id: uuid.UUID, user: CurrentUser, session: Session) -> TaskRead:
    return TaskRead.model_validate(await TaskService(session, user).complete(task_id))


@router.post("/{task_id}/cancel", response_model=TaskRead)
async def cancel_task(task_id: uuid.UUID, user: CurrentUser, session: Session) -> TaskRead:
    return TaskRead.model_validate(await TaskService(session, user).cancel(task_id))
