from nlp.components.elements import ElementsComponent
from nlp.registry import Doc
from nlp.types import Extraction, MessageInput, NlpConfig


def run(body: str, signature: str = "", emergency: bool = False) -> Extraction:
    doc = Doc(msg=MessageInput(), result=Extraction(emergency=emergency),
              texts={"subject": "Request", "body": body, "signature": signature})
    ElementsComponent(NlpConfig(), {})(doc)
    return doc.result


def test_elements_found_in_several_languages() -> None:
    x = run("Merci de communiquer les données d'identification et adresses IP du 1er mars au 5 avril 2026.",
            "Capitaine Jeanne Martin\nOfficier de police judiciaire")
    assert x.elements == {"named_official": True, "data_categories": True, "date_range": True,
                          "emergency_justification": False}
    assert x.evidence["element:named_official"][0].source == "signature"


def test_emergency_justification_only_counts_for_emergencies() -> None:
    body = "Es besteht Lebensgefahr für eine vermisste Person. Bitte Bestandsdaten übermitteln."
    assert run(body, emergency=True).elements["emergency_justification"] is True
    assert run(body, emergency=False).elements["emergency_justification"] is False


def test_nothing_stated() -> None:
    x = run("Hello, how do I reset my password?")
    assert not any(x.elements.values())
