"""Identifier systems and code systems the FHIR adapter writes and searches by.

Vietnam has no mandated FHIR profile. Where the HL7 Vietnam community "VN Core" R4 IG (draft,
http://fhir.hl7.org.vn/core) names a system, we use its URI so a VN Core server recognises our
identifiers; where it has none that fits, we mint one under https://tiepdon.vn/fhir/. Each is
configurable because a hospital's HIS may already use its own URIs.
"""

from __future__ import annotations

from dataclasses import dataclass

VN_CORE = "http://fhir.hl7.org.vn/core"
TIEPDON = "https://tiepdon.vn/fhir"

V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@dataclass(frozen=True, slots=True)
class FhirSystems:
    # VN Core draft NamingSystems
    cccd: str = f"{VN_CORE}/sid/cccd"  # Số căn cước công dân, 12 digits
    bhyt: str = f"{VN_CORE}/sid/bhyt"  # Số thẻ BHYT
    visit: str = f"{VN_CORE}/sid/ma-lk"  # MA_LK, one per visit; our idempotency key
    facility: str = f"{VN_CORE}/sid/ma-cskcb"  # MA_CSKCB / MA_DKBD facility codes
    primary_care_facility_extension: str = f"{VN_CORE}/StructureDefinition/vn-ext-primary-care-facility"
    # Minted here: VN Core has no national system for these
    patient_code_prefix: str = f"{TIEPDON}/sid/ma-bn"  # MA_BN is per hospital: prefix + "/" + MA_CSKCB
    service: str = f"{TIEPDON}/CodeSystem/ma-dich-vu"  # MA_DICH_VU
    visit_kind: str = f"{TIEPDON}/CodeSystem/ma-loai-kcb"  # MA_LOAI_KCB (01 = outpatient exam)
    patient_category: str = f"{TIEPDON}/CodeSystem/ma-doituong-kcb"  # MA_DOITUONG_KCB
    patient_category_extension: str = f"{TIEPDON}/StructureDefinition/ma-doituong-kcb"

    def patient_code(self, hospital_code: str) -> str:
        # Two hospitals sharing one HIS can both have patient "BN0001"; scoping the system by facility
        # keeps them apart.
        return f"{self.patient_code_prefix}/{hospital_code}"


DEFAULT_SYSTEMS = FhirSystems()

BHXH_PAYOR_DISPLAY = "Bảo hiểm xã hội Việt Nam"
