"""Linking mentions to reference entities: names as documents write them, and what must stay unlinked."""

import pytest

from kg.model import Condition, Eligibility, Intervention, StudyRecord
from kg.normalize import CONDITIONS, DRUGS, ORGS, build_lexicon, is_placebo, link_name, link_record, norm, scan
from kg.refdata import default_reference

ID = "https://w3id.org/trialkg/id/"
MONDO = "http://purl.obolibrary.org/obo/MONDO_"


@pytest.fixture(scope="module")
def lex():
    return build_lexicon(default_reference())


@pytest.mark.parametrize("mention,drug", [
    ("DARATUMUMAB (DARZALEX®)", "daratumumab"),
    ("Dupilumab Prefilled Syringe", "dupilumab"),
    ("ALLOGENEIC MESENCHYMAL STROMAL CELLS DERIVED FROM THE UMBILICAL CORD", "umbilical-cord-msc"),
    ("CSM allogéniques issues de cordons ombilicaux ( MTI-PP)", "umbilical-cord-msc"),
    ("Revlimid", "lenalidomide"),
    ("méthotrexate", "methotrexate"),
    ("MMF", "mycophenolate-mofetil"),
    ("OnabotulinumtoxinA", "botulinum-toxin-type-a"),  # Purple Book proper name, via the bulk table
    ("PDE5I (phosphodiesterase-5 inhibitor)", "pde5-inhibitors"),
    ("Phosphodiesterase type 5 Inhibitor (PDE5I)", "pde5-inhibitors"),
    ("autologous mesenchymal stem cells", "mesenchymal-stromal-cells"),
])
def test_drug_names_as_documents_write_them(lex, mention, drug):
    entry, _ = link_name(lex, mention, DRUGS)
    assert entry is not None and str(entry.iri) == f"{ID}drug/{drug}"


@pytest.mark.parametrize("mention,mondo", [
    ("Lupus érythémateux systémique", "0007915"),
    ("Purpura thrombopénique immunologique", "0008558"),
    ("SLE", "0007915"),
    ("CLE", "0005282"),
    ("TEN", "0019810"),
    ("NET", "0019810"),
    ("SJS", "0018229"),
    ("Toxic Epidermal Necrolysis", "0019810"),
    ("Impotence", "0005362"),  # exact synonym: the DOID label MONDO's erectile dysfunction exactly matches
    ("Treatment of Systemic Lupus Erythematosus refractory to standard treatments.", "0007915"),
])
def test_condition_names_and_abbreviations(lex, mention, mondo):
    entry, _ = link_name(lex, mention, CONDITIONS)
    assert entry is not None and str(entry.iri) == MONDO + mondo


@pytest.mark.parametrize("mention", [
    "Civil Hospices of Lyon",
    "Hospices Civils de Lyon",
])
def test_hospices_civils_de_lyon(lex, mention):
    entry, _ = link_name(lex, mention, ORGS)
    assert entry is not None and str(entry.iri).endswith("/org/hospices-civils-de-lyon")


@pytest.mark.parametrize("mention", [
    "ASSISTANCE PUBLIQUE - HOPITAUX DE PARIS (AP-HP)",
    "ASSISTANCE PUBLIQUE - HÔPITAUX DE PARIS",
    "Assistance Publique Hôpitaux De Paris",
])
def test_the_three_spellings_of_ap_hp_are_one_organisation(lex, mention):
    entry, _ = link_name(lex, mention, ORGS)
    assert entry is not None and str(entry.iri).endswith("/org/assistance-publique-hopitaux-de-paris")


@pytest.mark.parametrize("mention", ["SK3530", "TPN171H", "Immunotherapy", "Questionnaire", "Standard of care"])
def test_unknown_mentions_stay_unlinked(lex, mention):
    assert link_name(lex, mention, DRUGS)[0] is None
    assert link_name(lex, mention, CONDITIONS)[0] is None


def test_placebo_is_recognised_not_linked_to_a_drug(lex):
    rec = StudyRecord(format="ctgov_v2", interventions=(Intervention("Other", "Placebo Prefilled Syringe"),))
    [link] = link_record(lex, rec)
    assert link.kind == "placebo" and link.entity is None
    assert is_placebo("matching placebo tablets") and not is_placebo("placebonol")


def test_an_unlinked_intervention_is_kept_labelled_as_written(lex):
    rec = StudyRecord(format="ctgov_v2", interventions=(Intervention("Drug", "SK3530 50 mg"),))
    [link] = link_record(lex, rec)
    assert link.entity is None and link.text == "SK3530 50 mg" and link.kind == "drug"


def test_drugs_named_in_exclusion_criteria_are_prohibited_prior_treatments(lex):
    rec = StudyRecord(format="veeva", eligibility=Eligibility(exclusion=(
        "Patient having received rituximab within 6 months of Baseline",
        "Known hypersensitivity to methotrexate",
    )))
    links = link_record(lex, rec)
    roles = {(lk.text, lk.role) for lk in links if lk.kind == "drug"}
    assert ("rituximab", "prior_treatment_excluded") in roles
    assert ("methotrexate", "criterion_drug") in roles


def test_title_names_tested_drug_and_comparator_when_no_interventions_are_listed(lex):
    rec = StudyRecord(format="clinconnect", title="Lenalidomide vs Methotrexate in Difficult-to-treat Cutaneous Lupus Erythematosus")
    links = link_record(lex, rec)
    roles = {(lk.role, str(lk.entity).rsplit("/", 1)[-1]) for lk in links}
    assert ("title_drug", "lenalidomide") in roles
    assert ("title_comparator", "methotrexate") in roles
    assert ("title_condition", "MONDO_0005282") in roles


def test_one_funding_line_naming_several_organisations_links_each(lex):
    rec = StudyRecord(format="ictrp", funders=("Fondation du Rein (FdR) sous égide de la FRM, en partenariat avec l’AFM Téléthon et l’AIRG",))
    linked = {str(lk.entity).rsplit("/", 1)[-1] for lk in link_record(lex, rec)}
    assert {"fondation-du-rein", "fondation-pour-la-recherche-medicale", "afm-telethon", "airg"} <= linked


def test_condition_linked_by_the_mesh_id_a_registry_derived(lex):
    rec = StudyRecord(format="ctgov_v2", conditions=(Condition("Lupus (disseminated form)", mesh_ids=("D008180",)),))
    [link] = link_record(lex, rec)
    assert str(link.entity) == MONDO + "0007915" and link.method == "identifier"


def test_abbreviations_in_free_text_count_only_in_capitals(lex):
    assert any(str(e.iri) == MONDO + "0007915" for e, _ in scan(lex, "SLE flares", CONDITIONS))
    assert not any(str(e.iri) == MONDO + "0007915" for e, _ in scan(lex, "we sle pt", CONDITIONS))


def test_norm_folds_case_accents_marks_and_punctuation():
    assert norm("DARATUMUMAB (DARZALEX®)") == "daratumumab darzalex"
    assert norm("Lupus érythémateux  systémique") == "lupus erythemateux systemique"


def _intervention_links(lex, name: str, other_names: tuple[str, ...] = ()):
    rec = StudyRecord(format="ctgov_v2", interventions=(Intervention("Drug", name, other_names=other_names),))
    return [(lk.method, str(lk.entity).rsplit("/", 1)[-1] if lk.entity else None) for lk in link_record(lex, rec)]


def test_a_combination_links_each_product_it_names(lex):
    assert _intervention_links(lex, "Tadalafil 5mg/sildenafil 25 mg") == [
        ("combination-part", "tadalafil"), ("combination-part", "sildenafil")]
    assert _intervention_links(lex, "Naltrexone HCL/ Yohimbine HCL") == [
        ("combination-part", "naltrexone"), ("combination-part", "yohimbine")]


def test_a_combination_part_that_names_no_product_is_left_out(lex):
    assert _intervention_links(lex, "Sildenafil and questionnaire") == [("combination-part", "sildenafil")]
    assert _intervention_links(lex, "TPN171H tablet plus SK3530") == [("unlinked", None)]


def test_a_whole_name_wins_over_its_parts(lex):
    # the parts are tried only when the whole name links to nothing
    assert _intervention_links(lex, "Botulinum toxin type A 50 units") == [("contained-name", "botulinum-toxin-type-a")]
    assert _intervention_links(lex, "Radical prostatectomy with implantation of allograft") == [("unlinked", None)]


def test_a_combination_arm_tests_every_product_of_the_combination(lex):
    from kg.emit import Document, emit_record
    from kg.model import Arm
    from kg.namespace import TKG

    rec = StudyRecord(format="ctgov_v2",
                      interventions=(Intervention("Drug", "Tadalafil + Tamsulosin"), Intervention("Drug", "Tamsulosin")),
                      arms=(Arm("Combination", "EXPERIMENTAL", interventions=("Drug: Tadalafil + Tamsulosin",)),
                            Arm("Monotherapy", "ACTIVE_COMPARATOR", interventions=("Drug: Tamsulosin",))))
    triples = emit_record(rec, link_record(lex, rec), Document("combo.json", "0" * 64, "ctgov_v2")).triples
    tested = {o.rsplit("/", 1)[-1] for _, p, o in triples if p == str(TKG.testsDrug)}
    administered = {o.rsplit("/", 1)[-1] for _, p, o in triples if p == str(TKG.administers)}
    assert tested == {"tadalafil", "tamsulosin"}
    assert administered == {"tadalafil", "tamsulosin"}


def test_condition_linked_by_a_mesh_id_clinicaltrials_gov_pads_to_nine_digits(lex):
    rec = StudyRecord(format="ctgov_v2", conditions=(Condition("Study condition A", mesh_ids=("D000006973",)),))
    [link] = [lk for lk in link_record(lex, rec) if lk.role == "condition"]
    assert link.method == "identifier" and str(link.entity) == f"{MONDO}0005044"


def test_an_unknown_mesh_id_leaves_the_condition_unlinked(lex):
    rec = StudyRecord(format="ctgov_v2", conditions=(Condition("Study condition A", mesh_ids=("D000999999",)),))
    [link] = [lk for lk in link_record(lex, rec) if lk.role == "condition"]
    assert link.entity is None


def test_mondo_exact_synonyms_link_whole_names_only(lex):
    assert link_name(lex, "Impotence", CONDITIONS)[0] is not None
    assert not [e for e, _ in scan(lex, "Men with impotence after surgery", CONDITIONS)
                if str(e.iri) == f"{MONDO}0005362"]


@pytest.mark.parametrize("name", ["Vehicle Only 0.5%", "Sham procedure", "Matching placebo for sildenafil"])
def test_a_control_that_names_no_active_product_is_a_placebo(lex, name):
    [link] = link_record(lex, StudyRecord(format="ctgov_v2", interventions=(Intervention("Drug", name),)))
    assert link.kind == "placebo" and link.entity is None


@pytest.mark.parametrize("name, drug", [("Alprostadil in Vehicle 0.5%", "alprostadil"),
                                        ("Sildenafil therapy plus sham hyperbaric oxygen", "sildenafil")])
def test_an_active_product_beside_a_vehicle_or_sham_is_not_a_placebo(lex, name, drug):
    links = link_record(lex, StudyRecord(format="ctgov_v2", interventions=(Intervention("Drug", name),)))
    assert [str(lk.entity).rsplit("/", 1)[-1] for lk in links] == [drug]


def _criterion_roles(lex, kind: str, text: str) -> set[tuple[str, str]]:
    rec = StudyRecord(format="veeva", eligibility=Eligibility(**{kind: (text,)}))
    return {(lk.entity.rsplit("/", 1)[-1], lk.role) for lk in link_record(lex, rec) if lk.kind == "drug" and lk.entity}


@pytest.mark.parametrize("text", [
    "No prior treatment with rituximab within 6 months",
    "Not previously treated with rituximab",
    "Patients who have never received rituximab",
    "Patients who have not received rituximab in the last 12 months",
    "Naive to rituximab",
    "Rituximab-naive patients",
    "Without previous rituximab therapy",
    "Sans traitement antérieur par rituximab",
    "N'ayant jamais reçu de rituximab",
    "Patients naïfs de rituximab",
    "Aucun traitement par rituximab dans les 6 mois",
])
def test_a_negated_prior_treatment_in_inclusion_criteria_excludes_the_drug(lex, text):
    assert _criterion_roles(lex, "inclusion", text) == {("rituximab", "prior_treatment_excluded")}


@pytest.mark.parametrize("text", [
    "Prior treatment with rituximab within 6 months",
    "Previously treated with rituximab",
    "Patients ayant reçu du rituximab",
    "Traitement antérieur par rituximab",
    "Patients who have not responded to prior rituximab",  # a failed treatment is a treatment
])
def test_a_prior_treatment_in_inclusion_criteria_is_required(lex, text):
    assert _criterion_roles(lex, "inclusion", text) == {("rituximab", "prior_treatment_required")}


def test_a_negated_prior_treatment_in_exclusion_criteria_is_required(lex):
    assert _criterion_roles(lex, "exclusion", "Patients not previously treated with methotrexate") == {
        ("methotrexate", "prior_treatment_required")}


def test_negation_reaches_a_list_but_not_past_a_clause_break(lex):
    roles = _criterion_roles(lex, "inclusion", "No prior treatment with rituximab or belimumab")
    assert roles == {("rituximab", "prior_treatment_excluded"), ("belimumab", "prior_treatment_excluded")}
    roles = _criterion_roles(lex, "inclusion", "No prior rituximab; treated with methotrexate for 3 months")
    assert roles == {("rituximab", "prior_treatment_excluded"), ("methotrexate", "prior_treatment_required")}


def test_an_inclusion_criterion_copied_from_the_exclusion_list_requires_nothing(lex):
    text = "Patient having received rituximab within 6 months of Baseline"
    rec = StudyRecord(format="ictrp", eligibility=Eligibility(inclusion=(text,), exclusion=(text,)))
    roles = {(lk.path.split("[")[0], lk.role) for lk in link_record(lex, rec) if lk.kind == "drug"}
    assert roles == {("eligibility.inclusion", "criterion_drug"), ("eligibility.exclusion", "prior_treatment_excluded")}


def test_a_drug_is_never_both_required_and_excluded_by_one_criterion(lex):
    roles = _criterion_roles(lex, "inclusion", "Prior rituximab allowed, but no prior treatment with rituximab in 6 months")
    assert roles == {("rituximab", "criterion_drug")}
