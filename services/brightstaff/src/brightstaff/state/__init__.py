"""Responses-API conversation state: stores, the request-path step and the retrieval routes."""

from brightstaff.state.capture import ReplyCapture
from brightstaff.state.memory import MemoryStore
from brightstaff.state.postgres import PostgresStore
from brightstaff.state.routes import state_routes
from brightstaff.state.service import ResponsesState, build_state, build_store
from brightstaff.state.store import ConversationRecord, StateStore, StoreUnavailableError

__all__ = [
    "ConversationRecord",
    "MemoryStore",
    "PostgresStore",
    "ReplyCapture",
    "ResponsesState",
    "StateStore",
    "StoreUnavailableError",
    "build_state",
    "build_store",
    "state_routes",
]
