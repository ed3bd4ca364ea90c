import random

from hypothesis import assume, given
from hypothesis import strategies as st

from backend.domain.payments.reference import (
    REFERENCE_ALPHABET,
    find_reference,
    find_references,
    is_reference,
    new_reference,
    normalize_transfer_content,
    reference_candidates,
)


def test_new_reference_shape_and_alphabet():
    seen = {new_reference() for _ in range(500)}
    assert len(seen) == 500
    for ref in seen:
        assert len(ref) == 10 and ref.startswith("TD")
        assert not set(ref[2:]) & set("0O1I")
        assert is_reference(ref)


def test_new_reference_is_reproducible_with_injected_randomness():
    rng = random.Random(7)
    first = new_reference(randbelow=rng.randrange)
    rng = random.Random(7)
    assert new_reference(randbelow=rng.randrange) == first


def test_brief_example_matches():
    content = "MBVCB.1234.TD 7K3M 9QX2.CT tu 0123 NGUYEN VAN A"
    assert find_reference(content, ["TD22222222", "TD7K3M9QX2", "TD7K3M9QX3"]) == "TD7K3M9QX2"
    assert "TD7K3M9QX2" in reference_candidates(content)


def test_overlapping_windows_are_all_offered():
    candidates = reference_candidates("CK NGUYENTDTD7K3M9QX2")
    assert "TDTD7K3M9Q" in candidates and "TD7K3M9QX2" in candidates
    assert find_reference("CK NGUYENTDTD7K3M9QX2", ["TD7K3M9QX2"]) == "TD7K3M9QX2"


def test_prefix_stripped_by_the_bank_still_matches():
    content = "IBFT 7K3M9QX2 NGUYEN VAN A chuyen tien"
    assert find_reference(content, ["TD7K3M9QX2"]) == "TD7K3M9QX2"
    assert "TD7K3M9QX2" not in reference_candidates(content)
    assert "TD7K3M9QX2" in reference_candidates(content, include_prefixless=True)


def test_vietnamese_and_lower_case_content():
    assert normalize_transfer_content("td7k3m-9qx2 Đóng phí") == "TD7K3M9QX2DONGPHI"
    assert find_reference("thanh toán td7k3m9qx2", ["TD7K3M9QX2"]) == "TD7K3M9QX2"


def test_two_references_in_one_transfer_are_ambiguous():
    content = "TD7K3M9QX2 va TD22222222"
    assert find_references(content, ["TD7K3M9QX2", "TD22222222"]) == ["TD7K3M9QX2", "TD22222222"]
    assert find_reference(content, ["TD7K3M9QX2", "TD22222222"]) is None


def test_no_reference_at_all():
    assert find_reference("chuyen tien", ["TD7K3M9QX2"]) is None
    assert reference_candidates("chuyen tien") == []


references = st.text(alphabet=REFERENCE_ALPHABET, min_size=8, max_size=8).map(lambda body: "TD" + body)
# Noise as banks add it: Vietnamese names, digits, FT ids, punctuation, spacing.
noise = st.text(
    alphabet=st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-_/:ĐđƯơâêôÁàạ")),
    max_size=40,
)
separators = st.sampled_from(["", " ", ".", "-", "  ", " - ", "/"])


@st.composite
def as_bank_rewrites_it(draw, reference: str) -> str:
    """The reference with random case and random separators between its characters."""
    out = []
    for ch in reference:
        out.append(ch.lower() if draw(st.booleans()) else ch)
        if draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from([" ", ".", "-", "  "])))
    return "".join(out).strip(" .-")


@st.composite
def transfer_content(draw, reference: str) -> str:
    return (
        draw(noise)
        + draw(separators)
        + draw(as_bank_rewrites_it(reference))
        + draw(separators)
        + draw(noise)
    )


@st.composite
def near_miss(draw, reference: str) -> str:
    """A different well-formed reference a naive fuzzy matcher could confuse with `reference`."""
    body = list(reference[2:])
    kind = draw(st.sampled_from(["substitute", "swap", "shift"]))
    if kind == "substitute":
        i = draw(st.integers(0, 7))
        body[i] = draw(st.sampled_from([c for c in REFERENCE_ALPHABET if c != body[i]]))
    elif kind == "swap":
        i = draw(st.integers(0, 6))
        body[i], body[i + 1] = body[i + 1], body[i]
    else:
        body = body[1:] + [draw(st.sampled_from(REFERENCE_ALPHABET))]
    other = "TD" + "".join(body)
    assume(other != reference)
    return other


@given(data=st.data(), reference=references, others=st.lists(references, max_size=5))
def test_noise_around_the_reference_still_matches(data, reference, others):
    content = data.draw(transfer_content(reference))
    folded = normalize_transfer_content(content)
    others = [o for o in others if o != reference]
    # A random other reference could in principle be spelled out by the noise itself.
    assume(all(o not in folded and o[2:] not in folded for o in others))
    assert find_reference(content, others + [reference]) == reference
    assert reference in reference_candidates(content)


@given(data=st.data(), reference=references)
def test_a_different_reference_never_matches(data, reference):
    content = data.draw(transfer_content(reference))
    other = data.draw(st.one_of(near_miss(reference), references.filter(lambda r: r != reference)))
    folded = normalize_transfer_content(content)
    assume(other not in folded and other[2:] not in folded)
    assert find_reference(content, [other]) is None
    # With both on file, the near miss must not make the true reference ambiguous.
    assert find_reference(content, [other, reference]) == reference
