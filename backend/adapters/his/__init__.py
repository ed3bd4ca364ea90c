"""HIS gateways: a FHIR R4 REST client and an XML0 file drop, both implementing `HisGateway`.

Import the concrete modules (`fhir_client`, `xml0`) from the composition root; this package itself
imports nothing heavy so that `import backend.adapters` stays cheap.
"""
