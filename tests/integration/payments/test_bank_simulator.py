import requests

from backend.adapters.payments.vietqr.webhook import BankWebhookConfig
from backend.simulators.bank import create_bank_simulator


def transfer(bank_sim_url, **body):
    response = requests.post(f"{bank_sim_url}/_sim/transfer", json=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def test_transfer_with_bank_noise_settles_the_invoice(bank_sim_url, receiver_state, new_invoice):
    invoice = receiver_state.bank_invoices["TD7K3M9QX2"] = new_invoice(150_000)
    result = transfer(bank_sim_url, amount=150_000, content="TD 7K3M 9QX2 kham benh", decorate=True)
    assert result["body"]["content"].startswith("MBVCB.")
    assert result["delivered"] is True
    assert result["delivery"]["response"] == {"ok": True, "decision": "settle", "reason": None}
    assert invoice.status == "paid" and invoice.credits == 1


def test_replayed_transaction_is_a_duplicate(bank_sim_url, receiver_state, new_invoice):
    invoice = receiver_state.bank_invoices["TD22223333"] = new_invoice(80_000)
    first = transfer(bank_sim_url, amount=80_000, content="td22223333")
    replay = transfer(bank_sim_url, replay_of=first["transaction_id"])
    assert replay["transaction_id"] == first["transaction_id"] and replay["body"] == first["body"]
    assert replay["delivery"]["response"]["decision"] == "duplicate"
    assert invoice.credits == 1 and receiver_state.reconciliation == []
    listed = requests.get(f"{bank_sim_url}/_sim/transfers", timeout=5).json()["transfers"]
    assert [len(t["deliveries"]) for t in listed] == [2]


def test_wrong_amount_is_flagged_for_the_cashier(bank_sim_url, receiver_state, new_invoice):
    invoice = receiver_state.bank_invoices["TD44445555"] = new_invoice(150_000)
    result = transfer(bank_sim_url, amount=15_000, content="TD44445555")
    assert result["delivery"]["response"] == {"ok": True, "decision": "reconcile", "reason": "wrong_amount"}
    assert invoice.status == "pending"
    assert receiver_state.reconciliation == [
        {"transaction_id": result["transaction_id"], "reason": "wrong_amount", "amount": 15_000}
    ]


def test_unknown_reference_is_flagged(bank_sim_url, receiver_state):
    result = transfer(bank_sim_url, amount=50_000, content="chuyen tien")
    assert result["delivery"]["response"]["reason"] == "unknown_reference"


def test_forged_signature_is_rejected_and_changes_nothing(bank_sim_url, receiver_state, new_invoice):
    invoice = receiver_state.bank_invoices["TD66667777"] = new_invoice(80_000)
    result = transfer(bank_sim_url, amount=80_000, content="TD66667777", forge_signature=True)
    assert result["delivered"] is False and result["delivery"]["http_status"] == 401
    assert invoice.status == "pending" and receiver_state.seen_bank_transactions == set()


def test_api_key_mode_end_to_end(serve, receiver_state, new_invoice, make_receiver):
    key = "api-key-0123456789abcdef"
    receiver_url = serve(make_receiver(receiver_state, BankWebhookConfig("api_key", key, header="X-Bank-Key")))
    sim_url = serve(
        create_bank_simulator(f"{receiver_url}/bank-webhook", key, "1012345678", auth_mode="api_key", header="X-Bank-Key")
    )
    invoice = receiver_state.bank_invoices["TD88889999"] = new_invoice(80_000)
    assert transfer(sim_url, amount=80_000, content="TD88889999", forge_signature=True)["delivery"]["http_status"] == 401
    assert transfer(sim_url, amount=80_000, content="TD88889999")["delivery"]["response"]["decision"] == "settle"
    assert invoice.credits == 1


def test_bad_simulator_requests_are_refused(bank_sim_url):
    assert requests.post(f"{bank_sim_url}/_sim/transfer", json={"amount": 1.5, "content": "x"}, timeout=5).status_code == 400
    assert requests.post(f"{bank_sim_url}/_sim/transfer", json={"replay_of": "FT0"}, timeout=5).status_code == 404
