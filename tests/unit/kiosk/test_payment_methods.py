"""The kiosk offers the payment methods the backend lists in GET /services: a third method needs
no kiosk change; VietQR and VNPay behave as before (their own routes, their own words)."""
from kiosk_client import viewmodels
from kiosk_client.flow import Screen
from tests.unit.kiosk.fakes import FakeGateway, offer_payment_methods, ticket
from tests.unit.kiosk.test_flow import _invoice, make

VIETQR = {"method": "vietqr", "label_vi": "Chuyển khoản (VietQR)", "label_en": "Bank transfer (VietQR)"}
VNPAY = {"method": "vnpay", "label_vi": "VNPay", "label_en": "VNPay"}
WALLET = {"method": "wallet", "label_vi": "Ví điện tử", "label_en": "E-wallet"}


def _to_payment(gw, **config):
    gw.answer("create_ticket", ticket(coverage="self_pay", invoice=_invoice()))
    gw.answer("vietqr", {"qr_payload": "000201VIETQR", "amount": 39000, "expires_at": "2999-01-01T00:00:00+07:00"})
    gw.answer("vnpay", {"qr_payload": "000201VNPAY", "expires_at": "2999-01-01T00:00:00+07:00"})
    gw.answer("pay", {"qr_payload": "https://wallet.test/pay/1", "method": "wallet",
                      "expires_at": "2999-01-01T00:00:00+07:00"})
    gw.answer("invoice", {"id": "inv1", "status": "pending"})
    flow, gw, clock = make(gw, **config)
    flow.start()
    flow.no_papers()
    flow.choose_service("KHAM-MAT")
    flow.confirm()
    assert flow.screen is Screen.PAYMENT
    return flow


def test_a_third_method_from_the_backend_is_offered_in_its_words_and_started_through_pay():
    gw = FakeGateway()
    offer_payment_methods(gw, VIETQR, VNPAY, WALLET)
    flow = _to_payment(gw)
    vm = viewmodels.build(flow)
    assert [(m.id, m.label) for m in vm.methods] == [
        ("vietqr", "Chuyển khoản (VietQR)"), ("vnpay", "VNPay"), ("wallet", "Ví điện tử")]
    flow.set_payment_method("wallet")
    assert gw.called("pay") == [("pay", "inv1", "wallet")]
    assert viewmodels.build(flow).qr_payload == "https://wallet.test/pay/1"
    # The two first methods keep their own routes.
    flow.set_payment_method("vnpay")
    assert gw.called("vnpay") == [("vnpay", "inv1")]
    flow.toggle_language()
    assert [m.label for m in viewmodels.build(flow).methods][2] == "E-wallet"


def test_only_what_the_backend_offers_and_the_configured_method_falls_back_to_the_first():
    gw = FakeGateway()
    offer_payment_methods(gw, VNPAY)
    flow = _to_payment(gw, payment_method="vietqr")
    assert [m.id for m in viewmodels.build(flow).methods] == ["vnpay"]
    assert gw.called("vietqr") == [] and gw.called("vnpay") == [("vnpay", "inv1")]
    flow.set_payment_method("vietqr")  # not on offer: ignored
    assert gw.called("vietqr") == []


def test_a_backend_that_lists_no_methods_gets_the_two_of_before():
    flow = _to_payment(FakeGateway())
    assert [m.id for m in viewmodels.build(flow).methods] == ["vietqr", "vnpay"]
    assert gw_calls(flow) == ["vietqr"]


def gw_calls(flow):
    return [c[0] for c in flow.gateway.calls if c[0] in ("vietqr", "vnpay", "pay")]
