"""The kiosk's doors to the backend: REST (requests) and Socket.IO (/kiosk namespace)."""
from .rest import BackendError, Offline, Problem, RestGateway

__all__ = ["BackendError", "Offline", "Problem", "RestGateway"]
