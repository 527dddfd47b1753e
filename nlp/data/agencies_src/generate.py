"""Regenerate ``nlp/data/agencies.jsonl`` from the hand-written tables in this folder.

    python nlp/data/agencies_src/generate.py

The tables hold facts (names, acronyms, jurisdictions, mail domains); the patterns below
expand sub-national bodies (German Land police and prosecutors, Italian procure, US state
police and attorneys general, ...) so that adding a city or a state is one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE.parent / "agencies.jsonl"

DE_LAENDER = {
    "BW": (
        "Baden-Württemberg",
        "polizei.bwl.de",
        [
            "Stuttgart",
            "Karlsruhe",
            "Mannheim",
            "Freiburg",
            "Heilbronn",
            "Ulm",
            "Konstanz",
            "Heidelberg",
            "Tübingen",
            "Offenburg",
        ],
    ),
    "BY": (
        "Bayern",
        "polizei.bayern.de",
        [
            "München",
            "Nürnberg",
            "Augsburg",
            "Bamberg",
            "Würzburg",
            "Regensburg",
            "Ingolstadt",
            "Passau",
            "Bayreuth",
            "Hof",
        ],
    ),
    "BE": ("Berlin", "polizei.berlin.de", ["Berlin"]),
    "BB": ("Brandenburg", "polizei.brandenburg.de", ["Potsdam", "Cottbus", "Frankfurt (Oder)", "Neuruppin"]),
    "HB": ("Bremen", "polizei.bremen.de", ["Bremen"]),
    "HH": ("Hamburg", "polizei.hamburg.de", ["Hamburg"]),
    "HE": ("Hessen", "polizei.hessen.de", ["Frankfurt am Main", "Wiesbaden", "Darmstadt", "Kassel", "Gießen", "Fulda"]),
    "MV": ("Mecklenburg-Vorpommern", "polizei.mv-regierung.de", ["Rostock", "Schwerin", "Stralsund", "Neubrandenburg"]),
    "NI": (
        "Niedersachsen",
        "polizei.niedersachsen.de",
        ["Hannover", "Braunschweig", "Göttingen", "Oldenburg", "Osnabrück", "Lüneburg", "Verden", "Hildesheim"],
    ),
    "NW": (
        "Nordrhein-Westfalen",
        "polizei.nrw.de",
        [
            "Köln",
            "Düsseldorf",
            "Dortmund",
            "Essen",
            "Bochum",
            "Münster",
            "Bielefeld",
            "Duisburg",
            "Wuppertal",
            "Aachen",
            "Bonn",
            "Gelsenkirchen",
            "Krefeld",
            "Mönchengladbach",
            "Hagen",
            "Paderborn",
            "Siegen",
        ],
    ),
    "RP": ("Rheinland-Pfalz", "polizei.rlp.de", ["Mainz", "Koblenz", "Trier", "Kaiserslautern", "Ludwigshafen"]),
    "SL": ("Saarland", "polizei.saarland.de", ["Saarbrücken"]),
    "SN": ("Sachsen", "polizei.sachsen.de", ["Dresden", "Leipzig", "Chemnitz", "Görlitz", "Zwickau"]),
    "ST": ("Sachsen-Anhalt", "polizei.sachsen-anhalt.de", ["Magdeburg", "Halle (Saale)", "Dessau-Roßlau", "Stendal"]),
    "SH": ("Schleswig-Holstein", "polizei.landsh.de", ["Kiel", "Lübeck", "Flensburg", "Itzehoe"]),
    "TH": ("Thüringen", "polizei.thueringen.de", ["Erfurt", "Jena", "Gera", "Meiningen", "Mühlhausen"]),
}
DE_POLICE_NAME = {
    "BW": ["Polizei Baden-Württemberg"],
    "BY": ["Bayerische Polizei", "Polizei Bayern"],
    "BE": ["Polizei Berlin", "Berlin Police", "Polizeilicher Staatsschutz Berlin"],
    "BB": ["Polizei Brandenburg"],
    "HB": ["Polizei Bremen"],
    "HH": ["Polizei Hamburg"],
    "HE": ["Polizei Hessen"],
    "MV": ["Landespolizei Mecklenburg-Vorpommern"],
    "NI": ["Polizei Niedersachsen"],
    "NW": ["Polizei NRW", "Polizei Nordrhein-Westfalen"],
    "RP": ["Polizei Rheinland-Pfalz"],
    "SL": ["Polizei Saarland"],
    "SN": ["Polizei Sachsen"],
    "ST": ["Polizei Sachsen-Anhalt"],
    "SH": ["Landespolizei Schleswig-Holstein"],
    "TH": ["Thüringer Polizei", "Polizei Thüringen"],
}
DE_CITY_STATES = {"BE", "HB", "HH"}
DE_EXTRA = [
    (
        "Zentral- und Ansprechstelle Cybercrime Nordrhein-Westfalen",
        ["ZAC NRW", "Staatsanwaltschaft Köln ZAC NRW"],
        ["ZAC NRW"],
        "NW",
        ["sta-koeln.nrw.de", "justiz.nrw.de"],
        "prosecution",
    ),
    (
        "Zentralstelle zur Bekämpfung der Internetkriminalität",
        ["Generalstaatsanwaltschaft Frankfurt am Main", "ZIT"],
        ["ZIT"],
        "HE",
        ["gsta.justiz.hessen.de"],
        "prosecution",
    ),
    (
        "Zentralstelle Cybercrime Bayern",
        ["Generalstaatsanwaltschaft Bamberg", "ZCB"],
        ["ZCB"],
        "BY",
        ["gsta-ba.bayern.de", "justiz.bayern.de"],
        "prosecution",
    ),
]

AT_LAENDER = {
    "1": "Burgenland",
    "2": "Kärnten",
    "3": "Niederösterreich",
    "4": "Oberösterreich",
    "5": "Salzburg",
    "6": "Steiermark",
    "7": "Tirol",
    "8": "Vorarlberg",
    "9": "Wien",
}
AT_STA = [
    "Wien",
    "Graz",
    "Linz",
    "Salzburg",
    "Innsbruck",
    "Klagenfurt",
    "St. Pölten",
    "Feldkirch",
    "Eisenstadt",
    "Wiener Neustadt",
    "Korneuburg",
]
CH_CANTONS = {
    "ZH": "Zürich",
    "BE": "Bern",
    "LU": "Luzern",
    "BS": "Basel-Stadt",
    "BL": "Basel-Landschaft",
    "AG": "Aargau",
    "SG": "St. Gallen",
    "TG": "Thurgau",
    "SO": "Solothurn",
    "ZG": "Zug",
    "SZ": "Schwyz",
    "GR": "Graubünden",
    "VS": "Wallis",
    "FR": "Freiburg",
}
CH_FR = {
    "GE": ("Genève", "police.ge.ch"),
    "VD": ("Vaud", "vd.ch"),
    "NE": ("Neuchâtel", "ne.ch"),
    "JU": ("Jura", "jura.ch"),
    "TI": ("Ticino", "ti.ch"),
}
IT_CITIES = [
    "Roma",
    "Milano",
    "Napoli",
    "Torino",
    "Palermo",
    "Genova",
    "Bologna",
    "Firenze",
    "Bari",
    "Catania",
    "Venezia",
    "Verona",
    "Messina",
    "Padova",
    "Trieste",
    "Brescia",
    "Reggio Calabria",
    "Cagliari",
    "Perugia",
    "Ancona",
    "Salerno",
    "Lecce",
    "Catanzaro",
    "Trento",
    "Bolzano",
    "L'Aquila",
    "Potenza",
    "Campobasso",
    "Aosta",
    "Bergamo",
    "Modena",
    "Parma",
    "Pisa",
    "Livorno",
    "Taranto",
]
FR_CITIES = [
    "Paris",
    "Marseille",
    "Lyon",
    "Toulouse",
    "Nice",
    "Nantes",
    "Strasbourg",
    "Montpellier",
    "Bordeaux",
    "Lille",
    "Rennes",
    "Reims",
    "Grenoble",
    "Dijon",
    "Angers",
    "Nîmes",
    "Rouen",
    "Toulon",
    "Metz",
    "Nancy",
    "Créteil",
    "Bobigny",
    "Nanterre",
    "Versailles",
    "Pontoise",
    "Évry",
    "Meaux",
    "Clermont-Ferrand",
    "Tours",
    "Orléans",
    "Limoges",
    "Poitiers",
    "Caen",
    "Amiens",
    "Besançon",
    "Perpignan",
    "Pau",
    "Bayonne",
    "Ajaccio",
    "Bastia",
    "Cayenne",
    "Saint-Denis de La Réunion",
    "Fort-de-France",
]
ES_CITIES = [
    "Madrid",
    "Barcelona",
    "Valencia",
    "Sevilla",
    "Málaga",
    "Bilbao",
    "Zaragoza",
    "Palma",
    "Las Palmas",
    "Murcia",
    "Alicante",
    "Granada",
    "Almería",
    "Valladolid",
]
IN_STATES = {
    "AP": ("Andhra Pradesh", ["Andhra Pradesh Police", "AP Police"], "appolice.gov.in"),
    "AS": ("Assam", ["Assam Police"], "assampolice.gov.in"),
    "BR": ("Bihar", ["Bihar Police"], "biharpolice.bih.nic.in"),
    "CG": ("Chhattisgarh", ["Chhattisgarh Police"], "cgpolice.gov.in"),
    "DL": (
        "Delhi",
        ["Delhi Police", "Intelligence Fusion and Strategic Operations", "IFSO Delhi Police"],
        "delhipolice.gov.in",
    ),
    "GA": ("Goa", ["Goa Police"], "goapolice.gov.in"),
    "GJ": ("Gujarat", ["Gujarat Police", "Ahmedabad City Police"], "police.gujarat.gov.in"),
    "HR": ("Haryana", ["Haryana Police", "Gurugram Police", "Gurgaon Police"], "haryanapolice.gov.in"),
    "HP": ("Himachal Pradesh", ["Himachal Pradesh Police", "HP Police"], "hppolice.gov.in"),
    "JK": ("Jammu and Kashmir", ["Jammu and Kashmir Police", "J&K Police"], "jkpolice.gov.in"),
    "JH": ("Jharkhand", ["Jharkhand Police"], "jhpolice.gov.in"),
    "KA": ("Karnataka", ["Karnataka State Police"], "ksp.gov.in"),
    "KL": ("Kerala", ["Kerala Police"], "keralapolice.gov.in"),
    "MP": ("Madhya Pradesh", ["Madhya Pradesh Police", "MP Police"], "mppolice.gov.in"),
    "MH": ("Maharashtra", ["Maharashtra Police", "Maharashtra Cyber"], "mahapolice.gov.in"),
    "OD": ("Odisha", ["Odisha Police"], "odishapolice.gov.in"),
    "PB": ("Punjab", ["Punjab Police"], "punjabpolice.gov.in"),
    "RJ": ("Rajasthan", ["Rajasthan Police"], "police.rajasthan.gov.in"),
    "TN": ("Tamil Nadu", ["Tamil Nadu Police"], "tnpolice.gov.in"),
    "TS": (
        "Telangana",
        ["Telangana State Police", "Telangana Police", "Telangana Cyber Security Bureau"],
        "tspolice.gov.in",
    ),
    "UP": (
        "Uttar Pradesh",
        ["Uttar Pradesh Police", "UP Police", "Gautam Buddh Nagar Police", "Noida Police"],
        "uppolice.gov.in",
    ),
    "UK": ("Uttarakhand", ["Uttarakhand Police"], "uttarakhandpolice.uk.gov.in"),
    "WB": ("West Bengal", ["West Bengal Police"], "wbpolice.gov.in"),
}
IN_CITIES = [
    (
        "Bengaluru City Police",
        ["Bangalore City Police", "CEN Crime Police Station", "Bengaluru City"],
        "KA",
        ["bcp.gov.in", "bcp.ksp.gov.in"],
    ),
    ("Mumbai Police", ["Brihanmumbai Police", "Mumbai Cyber Police"], "MH", ["mumbaipolice.gov.in"]),
    ("Pune City Police", ["Pune Police"], "MH", ["punepolice.gov.in"]),
    (
        "Hyderabad City Police",
        ["Hyderabad Police", "Cyber Crime Police Station Hyderabad"],
        "TS",
        ["hyderabadpolice.gov.in"],
    ),
    ("Greater Chennai Police", ["Chennai Police", "Chennai City Police"], "TN", ["tnpolice.gov.in"]),
    ("Kolkata Police", ["Calcutta Police"], "WB", ["kolkatapolice.gov.in"]),
]
BR_STATES = {
    "AC": "Acre",
    "AL": "Alagoas",
    "AP": "Amapá",
    "AM": "Amazonas",
    "BA": "Bahia",
    "CE": "Ceará",
    "DF": "Distrito Federal",
    "ES": "Espírito Santo",
    "GO": "Goiás",
    "MA": "Maranhão",
    "MT": "Mato Grosso",
    "MS": "Mato Grosso do Sul",
    "MG": "Minas Gerais",
    "PA": "Pará",
    "PB": "Paraíba",
    "PR": "Paraná",
    "PE": "Pernambuco",
    "PI": "Piauí",
    "RJ": "Rio de Janeiro",
    "RN": "Rio Grande do Norte",
    "RS": "Rio Grande do Sul",
    "RO": "Rondônia",
    "RR": "Roraima",
    "SC": "Santa Catarina",
    "SP": "São Paulo",
    "SE": "Sergipe",
    "TO": "Tocantins",
}
BR_DE = {
    "Bahia",
    "Paraíba",
    "Pernambuco",
    "Piauí",
    "Rio de Janeiro",
    "Rio Grande do Norte",
    "Rio Grande do Sul",
    "Tocantins",
    "Amapá",
    "Ceará",
    "Pará",
    "Paraná",
    "Maranhão",
    "Amazonas",
    "Acre",
    "Espírito Santo",
    "Mato Grosso",
    "Mato Grosso do Sul",
    "Distrito Federal",
}


def entry(
    name: str,
    aliases: list[str],
    acronyms: list[str],
    country: str | None,
    region: str | None,
    domains: list[str],
    kind: str,
) -> dict[str, Any]:
    return {
        "name": name,
        "aliases": [a for a in aliases if a and a != name],
        "acronyms": [a for a in acronyms if a],
        "country": country or None,
        "region": region or None,
        "domains": domains,
        "kind": kind,
    }


def split(field: str) -> list[str]:
    return [x.strip() for x in field.split(";") if x.strip()]


def table(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([c.strip() for c in line.split("|")])
    return rows


def national() -> list[dict[str, Any]]:
    return [entry(r[0], split(r[1]), split(r[2]), r[3], r[4], split(r[5]), r[6]) for r in table(HERE / "national.txt")]


def uk() -> list[dict[str, Any]]:
    out = []
    for name, aliases, acr, region, stem in table(HERE / "uk_forces.txt"):
        country = region if len(region) == 2 else "GB"
        reg = region if "-" in region else None
        out.append(
            entry(
                name, split(aliases), split(acr), country, reg, [f"{stem}.police.uk", f"{stem}.pnn.police.uk"], "police"
            )
        )
    return out


def us() -> list[dict[str, Any]]:
    out = []
    for code, state, police, domains in table(HERE / "us_states.txt"):
        region = f"US-{code}"
        names = split(police)
        out.append(entry(names[0], names[1:], [], "US", region, split(domains), "police"))
        out.append(
            entry(
                f"Office of the {state} Attorney General",
                [
                    f"{state} Attorney General's Office",
                    f"{state} Attorney General",
                    f"{state} Office of the Attorney General",
                ],
                [],
                "US",
                region,
                [],
                "prosecution",
            )
        )
    for name, aliases, acr, region, domains in table(HERE / "us_local.txt"):
        out.append(
            entry(name, split(aliases), split(acr), "US", region if "-" in region else None, split(domains), "police")
        )
    return out


def germany() -> list[dict[str, Any]]:
    out = []
    for code, (land, domain, cities) in DE_LAENDER.items():
        region = f"DE-{code}"
        out.append(
            entry(f"Landeskriminalamt {land}", [f"LKA {land}"], [], "DE", region, [f"lka.{domain}", domain], "police")
        )
        names = DE_POLICE_NAME[code]
        out.append(
            entry(
                names[0],
                names[1:] + ([] if code in DE_CITY_STATES else [f"Polizeipräsidium {land}"]),
                [],
                "DE",
                region,
                [domain],
                "police",
            )
        )
        out.append(entry(f"Generalstaatsanwaltschaft {land}", [], [], "DE", region, [], "prosecution"))
        if code == "BE":
            out[-2]["aliases"] += ["Landeskriminalamt Berlin", "LKA Berlin"]
        for city in cities:
            if code not in DE_CITY_STATES:
                out.append(
                    entry(
                        f"Polizeipräsidium {city}",
                        [f"PP {city}", f"Polizei {city}", f"Kriminalpolizeiinspektion {city}"],
                        [],
                        "DE",
                        region,
                        [],
                        "police",
                    )
                )
            sta = "München I" if city == "München" else city
            out.append(
                entry(
                    f"Staatsanwaltschaft {sta}",
                    [f"StA {sta}", f"Staatsanwaltschaft {city}"]
                    + (["Staatsanwaltschaft München II"] if city == "München" else []),
                    [],
                    "DE",
                    region,
                    [],
                    "prosecution",
                )
            )
    for name, aliases, acr, code, domains, kind in DE_EXTRA:
        out.append(entry(name, aliases, acr, "DE", f"DE-{code}", domains, kind))
    # the Berlin police entry carries the LKA aliases; drop the separate LKA Berlin
    return [e for e in out if e["name"] != "Landeskriminalamt Berlin"]


def austria_switzerland() -> list[dict[str, Any]]:
    out = []
    for code, land in AT_LAENDER.items():
        out.append(
            entry(
                f"Landespolizeidirektion {land}",
                [f"LPD {land}", f"Landeskriminalamt {land}", f"LKA {land}", f"Polizei {land}"],
                [],
                "AT",
                f"AT-{code}",
                ["polizei.gv.at"],
                "police",
            )
        )
    for city in AT_STA:
        out.append(
            entry(
                f"Staatsanwaltschaft {city} (Österreich)" if city in ("Salzburg",) else f"Staatsanwaltschaft {city}",
                [f"StA {city}"],
                [],
                "AT",
                None,
                ["justiz.gv.at"],
                "prosecution",
            )
        )
    for code, canton in CH_CANTONS.items():
        out.append(
            entry(
                f"Kantonspolizei {canton}",
                [f"Kapo {canton}", f"Polizei {canton}"],
                [],
                "CH",
                f"CH-{code}",
                [],
                "police",
            )
        )
        out.append(
            entry(
                f"Staatsanwaltschaft des Kantons {canton}",
                [f"Staatsanwaltschaft {canton}"],
                [],
                "CH",
                f"CH-{code}",
                [],
                "prosecution",
            )
        )
    for code, (canton, domain) in CH_FR.items():
        pol = "Polizia cantonale Ticino" if code == "TI" else f"Police cantonale {canton}"
        out.append(entry(pol, [f"Police {canton}"], [], "CH", f"CH-{code}", [domain], "police"))
        mp = "Ministero pubblico del Cantone Ticino" if code == "TI" else f"Ministère public du canton de {canton}"
        out.append(entry(mp, [], [], "CH", f"CH-{code}", [], "prosecution"))
    out.append(entry("Stadtpolizei Zürich", ["Stapo Zürich"], [], "CH", "CH-ZH", ["zuerich.ch"], "police"))
    return out


def italy_france_spain() -> list[dict[str, Any]]:
    out = []
    for city in IT_CITIES:
        out.append(
            entry(
                f"Procura della Repubblica presso il Tribunale di {city}",
                [f"Procura di {city}", f"Procura della Repubblica di {city}"],
                [],
                "IT",
                None,
                ["giustiziacert.it", "giustizia.it"],
                "prosecution",
            )
        )
        out.append(entry(f"Questura di {city}", [], [], "IT", None, ["poliziadistato.it"], "police"))
    for city in FR_CITIES:
        out.append(
            entry(
                f"Parquet de {city}",
                [
                    f"Parquet du tribunal judiciaire de {city}",
                    f"Procureur de la République de {city}",
                    f"Tribunal judiciaire de {city}",
                ],
                [],
                "FR",
                None,
                ["justice.fr"],
                "prosecution",
            )
        )
    for city in ES_CITIES:
        out.append(
            entry(
                f"Juzgado de Instrucción de {city}",
                [f"Juzgados de Instrucción de {city}"],
                [],
                "ES",
                None,
                ["justicia.es"],
                "court",
            )
        )
    return [e for e in out if e["name"] != "Parquet de Paris"]


def india() -> list[dict[str, Any]]:
    out = []
    for code, (_state, names, domain) in IN_STATES.items():
        out.append(entry(names[0], names[1:], [], "IN", f"IN-{code}", [domain], "police"))
    for name, aliases, code, domains in IN_CITIES:
        out.append(entry(name, aliases, [], "IN", f"IN-{code}", domains, "police"))
    return out


def brazil() -> list[dict[str, Any]]:
    out = []
    for code, state in BR_STATES.items():
        prep = "do" if state in BR_DE else "de"
        if state in ("Bahia", "Paraíba"):
            prep = "da"
        out.append(
            entry(
                f"Polícia Civil {prep} {state}",
                [f"Polícia Civil {code}", f"PC{code}", f"PC-{code}"],
                [],
                "BR",
                f"BR-{code}",
                [f"pc.{code.lower()}.gov.br", f"policiacivil.{code.lower()}.gov.br"],
                "police",
            )
        )
        out.append(
            entry(
                f"Ministério Público {prep} {state}",
                [f"Ministério Público Estadual {code}", f"MP{code}"],
                [],
                "BR",
                f"BR-{code}",
                [f"mp{code.lower()}.mp.br"],
                "prosecution",
            )
        )
    return out


def main() -> None:
    entries = national() + uk() + us() + germany() + austria_switzerland() + italy_france_spain() + india() + brazil()
    seen: set[str] = set()
    with OUT.open("w", encoding="utf-8") as fh:
        for e in entries:
            if e["name"] in seen:
                raise SystemExit(f"duplicate agency name {e['name']!r}")
            seen.add(e["name"])
            fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    print(f"{len(entries)} agencies written to {OUT.name}")


if __name__ == "__main__":
    main()
