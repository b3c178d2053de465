"""ClinicalTrials.gov legacy XML reader: real records with exact values, two hand-written
variants, refused documents, pointers, detection, and the same trial read from its v2 JSON."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kg.model import (
    Arm, Condition, Eligibility, Enrollment, Identifier, Intervention, Outcome, SourceError, StudyDate,
    StudyRecord, to_json,
)
from kg.sources import ctgov_v2, detect_format, parse_text
from kg.sources.ctgov_xml import detect, iso_date, mesh_terms, parse_document, unwrap

FIXTURES = Path(__file__).parent / "fixtures" / "ctgov_xml"


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _record(name: str) -> StudyRecord:
    records = parse_document(_text(name))
    assert len(records) == 1
    return records[0]


def test_interventional_with_arms_and_browse_terms() -> None:
    rec = _record("NCT00498680.xml")
    assert rec.format == "ctgov_xml" and rec.register == "ClinicalTrials.gov" and rec.language == "en"
    assert rec.registry_ids == (Identifier("NCT", "NCT00498680"), Identifier("SPONSOR", "2431-ctil"))
    assert rec.title == "Safety and Clinical Effectiveness of 2 Lower Dose Combined PDE5i's vs. Single Maximal Dose PDE5i"
    assert rec.status == "UNKNOWN" and rec.status_text == "Unknown status"
    assert rec.phases == ("PHASE4",) and rec.study_type == "INTERVENTIONAL"
    assert (rec.allocation, rec.intervention_model, rec.primary_purpose, rec.masking) == (
        "RANDOMIZED", "PARALLEL", "TREATMENT", "DOUBLE")
    assert rec.enrollment == Enrollment(46, "ESTIMATED")
    assert rec.sponsor == "Rambam Health Care Campus" and rec.funder_types == ("OTHER",) and rec.collaborators == ()
    assert rec.conditions == (Condition("Impotence"),)
    assert [(i.type, i.name) for i in rec.interventions] == [
        ("DRUG", "Sildenafil, Vardenafil"), ("DRUG", "Sildenafil"), ("DRUG", "Vardenafil"),
        ("DRUG", "Sildenafil & Vardenafil")]
    assert [(a.label, a.role, a.interventions) for a in rec.arms] == [
        ("Viagra 100mg", "ACTIVE_COMPARATOR", ("Sildenafil",)),
        ("Levitra 20mg", "ACTIVE_COMPARATOR", ("Vardenafil",)),
        ("Viagra 50mg+ Levitra 10mg", "ACTIVE_COMPARATOR", ("Sildenafil, Vardenafil", "Sildenafil & Vardenafil"))]
    assert (rec.eligibility.sex, rec.eligibility.min_age, rec.eligibility.max_age) == ("MALE", "35 Years", "65 Years")
    assert rec.eligibility.inclusion[0] == "Relationship with the same partner for at least 3 month"
    assert rec.countries == ("Israel",)
    assert rec.dates[:2] == (StudyDate("registration", "2007-07-08"), StudyDate("start", "2007-03"))
    # Browse terms are read, but never become conditions or interventions; no MeSH ids in this layout.
    assert mesh_terms(_text("NCT00498680.xml")) == {
        "condition": ("Erectile Dysfunction",),
        "intervention": ("Sildenafil Citrate", "Vardenafil Dihydrochloride")}
    assert all(not i.mesh_ids for i in rec.interventions) and not rec.conditions[0].mesh_ids


def test_interventional_with_results_reads_its_results_reference() -> None:
    rec = _record("NCT00003404.xml")
    assert rec.title == "Radiation Therapy After Surgery in Treating Women With Phyllodes Tumor of the Breast"
    assert rec.registry_ids == (
        Identifier("NCT", "NCT00003404"), Identifier("SPONSOR", "D9801 CDR0000066410"),
        Identifier("OTHER", "P30CA023108"), Identifier("OTHER", "DMS-9801"),
        Identifier("OTHER", "DMS-12752"), Identifier("OTHER", "NCI-V98-1442"))
    assert rec.status == "COMPLETED" and rec.phases == ("NA",)
    assert rec.sponsor == "Dartmouth-Hitchcock Medical Center"
    assert rec.collaborators == ("National Cancer Institute (NCI)",)
    assert rec.interventions == (Intervention("RADIATION", "Adjuvant Radiotherapy", "Adjuvant radiation therapy"),)
    assert rec.arms == (Arm("Adjuvant Radiotherapy", "EXPERIMENTAL",
                            "Adjuvant radiation was started within 12 weeks of local excision or breast "
                            "re-excision.", ("Adjuvant Radiotherapy",)),)
    assert rec.outcomes == (
        Outcome("PRIMARY", "Local Recurrence Rate", "36 months after initial excision",
                "Local recurrence rate of phyllodes tumors"),
        Outcome("SECONDARY", "Survival Rate", "Approximately 5 years",
                "Survival will be tracked for 10 years after initial resection of first participant treated."))
    assert [(r.pmid, r.raw[:30]) for r in rec.references] == [("19424757", "Barth RJ Jr, Wells WA, Mitchel")]
    assert rec.spans["references[0]"].pointer == "/clinical_study/results_reference[1]/citation"
    assert rec.eligibility.sex == "FEMALE" and rec.eligibility.max_age == "120 Years"
    assert rec.keywords == ("recurrent breast cancer", "phyllodes tumor")
    assert rec.dates[2] == StudyDate("primary_completion", "2008-11-17", False)
    assert mesh_terms(_text("NCT00003404.xml"))["condition"] == ("Phyllodes Tumor",)


def test_observational_groups_have_no_role() -> None:
    rec = _record("NCT00498576.xml")
    assert rec.study_type == "OBSERVATIONAL" and rec.phases == () and rec.allocation is None
    assert [(a.label, a.role, a.description) for a in rec.arms] == [
        ("1", None, "kidney transplant with hypertension"),
        ("2", None, "hypertensive patients with native kidneys"), ("3", None, "healthy controls")]
    assert rec.interventions == ()
    assert rec.keywords == ("hypertension", "kidney transplant", "melatonin", "adiponectin")
    assert rec.conditions == (Condition("Hypertension"), Condition("Kidney Transplant"))
    assert rec.eligibility.healthy_volunteers is True
    assert rec.eligibility.exclusion[:2] == ("diabetes mellitus", "cancer")
    assert rec.enrollment == Enrollment(60, "ESTIMATED") and rec.countries == ("Israel",)


def test_withdrawn_study_without_enrollment() -> None:
    rec = _record("NCT00493675.xml")
    assert rec.status == "WITHDRAWN" and rec.enrollment is None
    assert rec.title == "Biodegradable Biliary Stent for Post Operative Cystic Duct Leakage"
    assert rec.scientific_title == "Biodegradable Biliary Stent for Post Operative Cystic Duct Leakage. Pilot Study"
    assert rec.phases == ("PHASE1",) and rec.sponsor == "Tampere University"
    assert rec.interventions == (Intervention("PROCEDURE", "endoscopic bile duct stenting"),)
    assert rec.dates[2] == StudyDate("completion", "2010-06", True)
    assert rec.eligibility == Eligibility("18 Years", None, "ALL", False, (
        "Patients with confirmed post cholecystectomy cystic duct leakage requiring endoscopic treatment",), ())
    assert mesh_terms(_text("NCT00493675.xml")) == {"condition": (), "intervention": ()}


def test_alias_other_names_and_collaborators() -> None:
    rec = _record("NCT00000317.xml")
    assert rec.registry_ids == (
        Identifier("NCT", "NCT00000317"), Identifier("NCT", "NCT00000272", "nctIdAlias"),
        Identifier("SPONSOR", "#3124"), Identifier("OTHER", "R01DA009582"))
    assert rec.collaborators == ("National Institute on Drug Abuse (NIDA)",
                                 "Research Foundation for Mental Hygiene, Inc.")
    assert [(i.type, i.name, i.other_names) for i in rec.interventions] == [
        ("DRUG", "Risperidone", ("Risperidal",)), ("DRUG", "Placebo", ()),
        ("BEHAVIORAL", "Relapse prevention counseling", ("RPT-CBT",))]
    assert [(a.label, a.role, a.interventions) for a in rec.arms] == [
        ("PLacebo", "PLACEBO_COMPARATOR", ("Placebo", "Relapse prevention counseling")),
        ("Risperidone", "EXPERIMENTAL", ("Risperidone", "Relapse prevention counseling"))]
    assert rec.intervention_model == "CROSSOVER" and rec.phases == ("PHASE2",)
    assert [o.measure for o in rec.outcomes] == ["Side effects", "Craving", "Drug use", "Retention"]
    # The browse list holds a term no condition names ("Disease"): it is no condition.
    assert mesh_terms(_text("NCT00000317.xml")) == {
        "condition": ("Disease", "Substance-Related Disorders", "Cocaine-Related Disorders"),
        "intervention": ("Risperidone",)}
    assert [c.name for c in rec.conditions] == ["Cocaine-Related Disorders", "Substance-Related Disorders"]


def test_expanded_access() -> None:
    rec = _record("NCT00493532.xml")
    assert rec.study_type == "EXPANDED_ACCESS" and rec.status == "NO_LONGER_AVAILABLE"
    assert rec.sponsor == "Hoffmann-La Roche" and rec.funder_types == ("INDUSTRY",)
    assert rec.interventions == (Intervention("DRUG", "ibandronate [Bonviva/Boniva]", "3mg iv every 3 months"),)
    assert rec.eligibility.min_age is None and rec.eligibility.max_age == "80 Years"  # "N/A" is no age
    assert rec.countries == ("Taiwan",) and rec.enrollment is None


def test_minimal_hand_written_record() -> None:
    assert _record("minimal.xml") == StudyRecord(
        format="ctgov_xml", registry_ids=(Identifier("NCT", "NCT09900001"),),
        title="A Minimal Hand-Written Study Record", register="ClinicalTrials.gov", language="en")


def test_odd_order_and_missing_elements() -> None:
    rec = _record("odd_order.xml")
    assert rec.registry_ids == (Identifier("NCT", "NCT09900002"), Identifier("SPONSOR", "HW-2"),
                                Identifier("EUDRACT", "2031-000001-11"))
    assert rec.title == "Two Doses of Methotrexate <Hand-Written>"
    assert rec.sponsor == "A Hand-Written Sponsor" and rec.funder_types == ("FED",)
    assert rec.collaborators == ("A Hand-Written Collaborator",)
    assert rec.status == "NOT_YET_RECRUITING" and rec.phases == ("PHASE2", "PHASE3")
    assert rec.enrollment == Enrollment(None, None, "about 40")
    assert rec.dates == (StudyDate("start", "2031-03", True),)
    assert rec.interventions == (  # the blank-named one is no intervention
        Intervention("DRUG", "Methotrexate", other_names=("MTX",)),
        Intervention("DIETARY_SUPPLEMENT", "Folic acid & vitamin B12"))
    assert rec.arms == (Arm("High dose", "ACTIVE_COMPARATOR", None, ("Methotrexate", "Folic acid & vitamin B12")),
                        Arm("Low dose", None, None, ("Methotrexate",)))
    assert rec.eligibility == Eligibility("18 Years", None, "FEMALE", None,
                                          ("active disease with > 3 swollen joints",), ("pregnancy",))
    assert rec.countries == ("Denmark", "Norway")  # the study's list: no site names a country
    assert mesh_terms(_text("odd_order.xml"))["intervention"] == ("Methotrexate", "Antimetabolites")


def test_pointers_resolve_to_the_elements() -> None:
    text = _text("NCT00000317.xml")
    root, rec = ET.fromstring(text), _record("NCT00000317.xml")
    for key, span in to_json(rec)["spans"].items():
        assert span["line_start"] == 0 and span["pointer"].startswith("/clinical_study"), key
        path = span["pointer"].removeprefix("/clinical_study").lstrip("/")
        assert not path or root.find(path) is not None, key
    assert rec.spans["interventions[2].other_names[0]"].pointer == "/clinical_study/intervention[3]/other_name[1]"
    assert rec.spans["sponsor"].pointer == "/clinical_study/sponsors/lead_sponsor/agency"


@pytest.mark.parametrize("name,reason", [
    ("malformed.xml", "invalid XML: mismatched tag: line 6"),
    ("doctype_entity.xml", "DOCTYPE or ENTITY declaration"),
    ("other_root.xml", "root element <rss> is not <clinical_study>"),
    ("truncated.xml", "truncated XML"),
])
def test_bad_documents_are_refused_naming_the_problem(name: str, reason: str) -> None:
    text = _text(f"bad/{name}")
    assert detect_format(text) == "ctgov_xml"
    for parse in (parse_document, parse_text):
        with pytest.raises(SourceError, match=re.escape(reason)):
            parse(text)


def test_an_internal_subset_is_refused_before_parsing() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "' + "a" * 10 + '">'
            + "".join(f'<!ENTITY a{i} "' + f"&a{i - 1 if i else ''};" * 10 + '">' for i in range(9))
            + ']><clinical_study><brief_title>&a8;</brief_title></clinical_study>')
    with pytest.raises(SourceError, match="DOCTYPE or ENTITY"):
        parse_document(bomb)


def test_detection() -> None:
    for name in ("NCT00000317.xml", "minimal.xml", "odd_order.xml"):
        assert detect(_text(name)) and detect_format(_text(name)) == "ctgov_xml"
    assert detect("\ufeff  <clinical_study><id_info/></clinical_study>")
    assert not detect('{"protocolSection": {}}')
    assert not detect("ClinicalTrials.Veeva\nA study of <clinical_study> tags")
    assert detect_format('{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}') == "ctgov_v2"


def test_text_blocks_and_dates() -> None:
    block = "\n      First line\n      wrapped.\n\n        -  one\n           more\n\n        -  two\n"
    assert unwrap(block) == "First line wrapped.\n\n* one more\n* two"
    assert [iso_date(d) for d in ("November 3, 1999", "June 2007", "Spring 2007")] == [
        "1999-11-03", "2007-06", "Spring 2007"]


# NCT00498680 and NCT00499317 are in both the legacy zip and the v2 samples (the only two with
# interventions or conditions among the three shared ones): the v2 JSON is their 2023-24 record.
V2_PAIRS = ("NCT00498680", "NCT00499317")
# Fields the two layouts cannot share: the format, the status as each writes it, the source URL
# (only the XML states it), the last update (the v2 download is later) and MeSH ids (the XML has none).
NOT_SHARED = {"format", "status_text", "source_url", "spans"}


@pytest.mark.parametrize("nct", V2_PAIRS)
def test_the_same_trial_in_xml_and_v2_gives_the_same_fields(nct: str) -> None:
    xml = to_json(_record(f"{nct}.xml"))
    v2 = to_json(ctgov_v2.parse_document(_text(f"v2/{nct}.json"))[0])
    for key in set(xml) - NOT_SHARED - {"dates", "conditions", "interventions", "registry_ids"}:
        assert xml[key] == v2[key], key
    assert [d for d in xml["dates"] if d["kind"] != "last_update"] == [
        d for d in v2["dates"] if d["kind"] != "last_update"]
    assert [c["name"] for c in xml["conditions"]] == [c["name"] for c in v2["conditions"]]
    strip = [{k: v for k, v in i.items() if k != "mesh_ids"} for i in xml["interventions"]]
    assert strip == [{k: v for k, v in i.items() if k != "mesh_ids"} for i in v2["interventions"]]
    # v2 labels secondary ids by their type ("OTHER_GRANT: ..."), the XML does not.
    assert [(i["scheme"], i["value"]) for i in xml["registry_ids"]] == [
        (i["scheme"], i["value"]) for i in v2["registry_ids"]]
