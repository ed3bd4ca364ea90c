"""The hospital file is read once into typed sections; a mistake names its line and key path."""
import pytest

from backend.settings.hospital import ConfigError, load_hospital_file
from tests.support.app import CONFIG
from tests.unit.settings.hospital_text import GOOD, line_of


def write(tmp_path, text):
    path = tmp_path / "hospital.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(tmp_path, text) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_hospital_file(write(tmp_path, text))
    return caught.value


def test_the_example_file_parses_once_into_every_section():
    hospital = load_hospital_file(CONFIG)
    assert hospital.catalog.service("KHAM-NOI").fee_vnd == 39000
    assert hospital.payments["bank_account"] == "1012345678"
    assert "KHAM-NOI" in hospital.appointments.rules


def test_a_good_small_file_loads(tmp_path):
    hospital = load_hospital_file(write(tmp_path, GOOD))
    assert set(hospital.catalog.services) == {"KHAM-NOI", "XN"}
    assert hospital.payments == {"invoice_ttl_min": 15}
    assert hospital.appointments.rules["KHAM-NOI"].slot_min == 30


def test_a_syntax_error_names_its_line(tmp_path):
    text = GOOD.replace('name_vi = "Khám Nội"', 'name_vi = "Khám Nội')
    err = refused(tmp_path, text)
    assert err.line == line_of(text, 'name_vi = "Khám Nội')
    assert f"line {err.line}" in str(err)


def test_a_bad_price_names_its_key_path_and_line(tmp_path):
    text = GOOD.replace("fee_vnd = 39000", "fee_vnd = -5")
    err = refused(tmp_path, text)
    assert err.key_path == "services[0].fee_vnd"
    assert err.line == line_of(text, "fee_vnd = -5")
    assert "services[0].fee_vnd" in str(err) and f"line {err.line}" in str(err)


def test_a_price_that_is_not_a_number_is_refused_with_its_place(tmp_path):
    text = GOOD.replace("fee_vnd = 39000", 'fee_vnd = "39k"')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("services[0].fee_vnd", line_of(text, 'fee_vnd = "39k"'))


def test_bad_named_opening_hours_name_their_key(tmp_path):
    text = GOOD.replace('clinic = "Mon-Fri 07:00-11:30"', 'clinic = "Someday 07:00-11:30"')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("hours.clinic", line_of(text, "clinic = "))
    assert "opening hours" in str(err)


def test_bad_opening_hours_of_a_service_name_the_service(tmp_path):
    text = GOOD.replace('hours = "clinic"', 'hours = "Mon-Fri 25:00-26:00"')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("services[0].hours", line_of(text, 'hours = "Mon-Fri 25'))


def test_a_point_serving_an_unknown_service_names_the_point(tmp_path):
    text = GOOD.replace('services = ["KHAM-NOI"]', 'services = ["KHAM-NGOAI"]')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("points[0].services", line_of(text, 'services = ["KHAM-NGOAI"]'))
    assert "unknown service KHAM-NGOAI" in str(err)


def test_an_appointment_rule_for_an_unknown_service_names_it(tmp_path):
    text = GOOD.replace('service = "KHAM-NOI"', 'service = "MAT"')
    err = refused(tmp_path, text)
    assert err.key_path == "appointments.services[0].service"
    assert err.line == line_of(text, 'service = "MAT"')
    assert "unknown service MAT" in str(err)


def test_a_missing_key_names_the_table_it_is_missing_from(tmp_path):
    text = GOOD.replace('name_en = "Laboratory"\n', "")
    err = refused(tmp_path, text)
    assert err.key_path == "services[1].name_en"
    assert err.line == line_of(text, "[[services]]", after=line_of(text, "[[services]]"))
    assert "missing" in str(err)


def test_a_duplicate_prefix_names_the_second_service(tmp_path):
    text = GOOD.replace('prefix = "D"', 'prefix = "C"')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("services[1].prefix", line_of(text, 'prefix = "C"', after=20))
    assert "prefix C" in str(err)


def test_a_bad_payments_value_names_its_line(tmp_path):
    text = GOOD.replace("invoice_ttl_min = 15", 'invoice_ttl_min = "15"')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("payments.invoice_ttl_min", line_of(text, "invoice_ttl_min"))
    assert "whole number" in str(err)


def test_a_secret_in_the_file_is_refused_with_its_line(tmp_path):
    text = GOOD.replace("invoice_ttl_min = 15", 'invoice_ttl_min = 15\nvnpay_hash_secret = "x"')
    err = refused(tmp_path, text)
    assert (err.key_path, err.line) == ("payments.vnpay_hash_secret", line_of(text, "vnpay_hash_secret"))
    assert "environment" in str(err)


# -- [payments] cashier (issue 17) ----------------------------------------------------------------


def _payment_settings(values: dict):
    from backend.settings.environment import Settings
    from backend.settings.payments import payment_settings

    return payment_settings(values, Settings.from_env({"secret_key": "x" * 40}), "http://localhost:8000")


def test_the_example_file_offers_the_cashier_and_keeps_the_number_on_timeout():
    from backend.settings.environment import Settings
    from backend.settings.payments import payment_settings

    desk = payment_settings(load_hospital_file(CONFIG).payments, Settings.from_env({"secret_key": "x" * 40}),
                            "http://localhost:8000").cashier_desk
    assert (desk.allowed, desk.where_vi, desk.where_en, desk.on_timeout) == (
        True, "Quầy thu ngân số 3, Sảnh A", "Cashier desk 3, Hall A", "cashier")


def test_on_timeout_defaults_by_whether_there_is_a_cashier():
    where = {"cashier_where_vi": "Quầy 3", "cashier_where_en": "Desk 3"}
    assert _payment_settings({"cashier": True, **where}).cashier_desk.on_timeout == "cashier"
    assert _payment_settings({}).cashier_desk.on_timeout == "cancel"
    assert _payment_settings({"cashier": True, "on_timeout": "cancel", **where}).cashier_desk.on_timeout == "cancel"


@pytest.mark.parametrize("values, words", [
    ({"on_timeout": "cashier"}, "needs cashier = true"),
    ({"on_timeout": "wait"}, "on_timeout must be"),
    ({"cashier": True}, "cashier_where_vi"),
])
def test_inconsistent_cashier_settings_are_refused(values, words):
    from backend.settings.payments import PaymentConfigError

    with pytest.raises(PaymentConfigError, match=words):
        _payment_settings(values)


def test_cashier_must_be_true_or_false_in_the_file(tmp_path):
    err = refused(tmp_path, GOOD.replace("[payments]\n", '[payments]\ncashier = "yes"\n'))
    assert "payments.cashier" in str(err) and "true or false" in str(err)
