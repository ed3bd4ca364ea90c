"""The port through which records leave the hospital signed: the facility signature (CHUKYDONVI)
that the BHXH gateway asks of QĐ 130 / QĐ 4750 XML files.

Builders make the unsigned document; a `DocumentSigner` returns it signed, or, for a hospital whose
HIS signs the records itself, unchanged (`LeaveUnsigned`). Either way the result says which, so
every export can state it. The concrete signer (PKCS#12 certificate, XML-DSig) lives in
`backend.adapters.his.xml0_signing` and is chosen in the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class SignedDocument:
    content: bytes
    signed: bool
    signer_subject: str | None = None  # the certificate's subject (RFC 4514), when signed


class SigningUnavailable(Exception):
    """The signer cannot sign now (its certificate expired while the server ran). Nothing is sent
    unsigned in its place: callers treat this as an outage until the certificate is replaced."""


@runtime_checkable
class DocumentSigner(Protocol):
    def sign(self, document: bytes) -> SignedDocument:
        """The document with the facility signature in place. Raises `SigningUnavailable`."""
        ...


class LeaveUnsigned:
    """For a HIS that signs the records itself: the document goes out as built, marked unsigned."""

    def sign(self, document: bytes) -> SignedDocument:
        return SignedDocument(content=document, signed=False)
