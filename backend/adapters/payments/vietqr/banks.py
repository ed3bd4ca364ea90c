"""Directory of Vietnamese banks by NAPAS BIN, read from a banks.csv (bin,code,short_name,name)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_EXPECTED_HEADER = ["bin", "code", "short_name", "name"]
_BIN_RE = re.compile(r"[0-9]{6}")


class BankListError(ValueError):
    """banks.csv is malformed; raised with the line number so the config can be fixed."""


@dataclass(frozen=True)
class Bank:
    bin: str
    code: str
    short_name: str
    name: str


class BankDirectory:
    def __init__(self, banks: list[Bank]):
        self._by_bin = {bank.bin: bank for bank in banks}
        self._by_code = {bank.code.upper(): bank for bank in banks}

    def by_bin(self, bank_bin: str) -> Bank | None:
        return self._by_bin.get(bank_bin)

    def by_code(self, code: str) -> Bank | None:
        return self._by_code.get(code.upper())

    def __iter__(self) -> Iterator[Bank]:
        return iter(self._by_bin.values())

    def __len__(self) -> int:
        return len(self._by_bin)

    def __contains__(self, bank_bin: object) -> bool:
        return bank_bin in self._by_bin


def parse_banks_csv(text: str) -> BankDirectory:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != _EXPECTED_HEADER:
        raise BankListError(f"banks.csv header must be {','.join(_EXPECTED_HEADER)}")
    banks: list[Bank] = []
    seen: set[str] = set()
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 4:
            raise BankListError(f"banks.csv line {line_no}: expected 4 columns, got {len(row)}")
        bank_bin, code, short_name, name = (cell.strip() for cell in row)
        if not _BIN_RE.fullmatch(bank_bin):
            raise BankListError(f"banks.csv line {line_no}: BIN must be 6 digits")
        if bank_bin in seen:
            raise BankListError(f"banks.csv line {line_no}: BIN {bank_bin} listed twice")
        seen.add(bank_bin)
        banks.append(Bank(bank_bin, code, short_name, name))
    return BankDirectory(banks)


def load_banks(path: str | Path) -> BankDirectory:
    return parse_banks_csv(Path(path).read_text(encoding="utf-8"))
