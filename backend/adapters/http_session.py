"""HTTP sessions for the outside systems (BHXH, HIS, VNPay, SMS).

requests reads the environment again on every call: proxy variables, no_proxy, the .netrc file
and the CA bundle variables. On a check-in that makes four outside calls this was a measurable
share of the server's time, and the answers never change while the process runs. A client talks
to one base URL, so its session reads them once, for that URL, when it is built.
"""
import os

import requests
from requests.utils import get_environ_proxies


def outbound_session(base_url: str) -> requests.Session:
    session = requests.Session()
    session.proxies.update(get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    # Outside systems authenticate in the protocol (tokens, signatures), never through .netrc.
    session.trust_env = False
    return session
