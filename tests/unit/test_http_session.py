"""Outbound sessions read proxy and CA settings from the environment once, for their own URL."""
from backend.adapters.http_session import outbound_session


def test_proxy_and_ca_bundle_come_from_the_environment_at_build_time(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.benhvien.local:3128")
    monkeypatch.setenv("NO_PROXY", "his.benhvien.local")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/benhvien-ca.pem")
    bhxh = outbound_session("https://egw.baohiemxahoi.gov.vn")
    his = outbound_session("https://his.benhvien.local/fhir")
    assert bhxh.proxies.get("https") == "http://proxy.benhvien.local:3128"
    assert "https" not in his.proxies  # NO_PROXY honoured for the HIS inside the hospital
    assert bhxh.verify == his.verify == "/etc/ssl/certs/benhvien-ca.pem"
    assert bhxh.trust_env is False

    # Read once: a later change to the environment does not reach a built session.
    monkeypatch.setenv("HTTPS_PROXY", "http://other:1")
    assert bhxh.proxies.get("https") == "http://proxy.benhvien.local:3128"


def test_without_settings_a_session_goes_direct_and_verifies_with_the_default_store(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                 "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    s = outbound_session("https://egw.baohiemxahoi.gov.vn")
    assert s.proxies == {} and s.verify is True
