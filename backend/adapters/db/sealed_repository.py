"""Every column sealed with the PII vault, and the keyed hashes, for a key rotation (services/pii_rotation.py).

Rows are read in pages in key order and rewritten one by one with compare-and-set (`WHERE column =
the value read`), so a request that changed a row meanwhile wins and the row is simply met again
sealed with the new key."""
from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Connection

from .identity_models import CardCheckRow, PatientIdentifierRow, PatientRow
from .mobile_models import PatientAccountRow
from .payment_models import BankTransferRow

PI = PatientIdentifierRow.__table__
ACC = PatientAccountRow.__table__

# name → (table, key column, sealed column)
SEALED = {
    "patients": (PatientRow.__table__, "id", "data_enc"),
    "card_checks": (CardCheckRow.__table__, "id", "request_enc"),
    "patient_accounts": (ACC, "id", "phone_enc"),
    "bank_transfers": (BankTransferRow.__table__, "transaction_id", "payer_enc"),
}


class SealedRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def names(self) -> list[str]:
        return list(SEALED)

    def page(self, name: str, after: str | None, limit: int) -> list[tuple[str, str]]:
        """(key, sealed value) of rows holding one, in key order, after `after`."""
        table, key, column = SEALED[name]
        stmt = select(table.c[key], table.c[column]).where(table.c[column].is_not(None))
        if after is not None:
            stmt = stmt.where(table.c[key] > after)
        return [(r[0], r[1]) for r in self.conn.execute(stmt.order_by(table.c[key]).limit(limit))]

    def replace(self, name: str, key: str, old: str, new: str) -> bool:
        table, key_column, column = SEALED[name]
        result = self.conn.execute(update(table).where(and_(table.c[key_column] == key, table.c[column] == old))
                                   .values({column: new}))
        return result.rowcount == 1

    def identifiers(self, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        """(lookup hash, patient id, kind), in hash order."""
        stmt = select(PI.c.lookup_hash, PI.c.patient_id, PI.c.kind)
        if after is not None:
            stmt = stmt.where(PI.c.lookup_hash > after)
        return [tuple(r) for r in self.conn.execute(stmt.order_by(PI.c.lookup_hash).limit(limit))]

    def relink(self, old_hash: str, new_hash: str) -> None:
        """The identifier row under its new hash (dropped if a request already linked that hash)."""
        if self.conn.execute(select(PI.c.lookup_hash).where(PI.c.lookup_hash == new_hash)).first():
            self.unlink(old_hash)
        else:
            self.conn.execute(update(PI).where(PI.c.lookup_hash == old_hash).values(lookup_hash=new_hash))

    def unlink(self, lookup_hash: str) -> None:
        self.conn.execute(delete(PI).where(PI.c.lookup_hash == lookup_hash))

    def accounts(self, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        """(account id, phone hash, sealed phone), in id order."""
        stmt = select(ACC.c.id, ACC.c.phone_hash, ACC.c.phone_enc)
        if after is not None:
            stmt = stmt.where(ACC.c.id > after)
        return [tuple(r) for r in self.conn.execute(stmt.order_by(ACC.c.id).limit(limit))]

    def rehash_account(self, account_id: str, old_hash: str, new_hash: str) -> bool:
        result = self.conn.execute(update(ACC).where(and_(ACC.c.id == account_id, ACC.c.phone_hash == old_hash))
                                   .values(phone_hash=new_hash))
        return result.rowcount == 1
