"""Regenerate ``nlp/data/agencies.jsonl`` from the hand-written tables in this folder.

    python nlp/data/agencies_src/generate.py

``national.txt``, ``uk_forces.txt``, ``us_states.txt`` and ``us_local.txt`` list bodies one
a line; ``subnational.json`` lists the places from which sub-national bodies are expanded
(German Land police and prosecutors, Italian procure, French parquets, ...), so that adding
a city or a state is one word.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUT = HERE.parent / "agencies.jsonl"
Entry = dict[str, Any]


def entry(
    name: str,
    aliases: list[str],
    acronyms: list[str],
    country: str | None,
    region: str | None,
    domains: list[str],
    kind: str,
) -> Entry:
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


def table(name: str) -> list[list[str]]:
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([c.strip() for c in line.split("|")])
    return rows


def national() -> list[Entry]:
    return [entry(r[0], split(r[1]), split(r[2]), r[3], r[4], split(r[5]), r[6]) for r in table("national.txt")]


def uk() -> list[Entry]:
    out = []
    for name, aliases, acr, region, stem in table("uk_forces.txt"):
        country = region if len(region) == 2 else "GB"
        domains = [f"{stem}.police.uk", f"{stem}.pnn.police.uk"]
        out.append(
            entry(name, split(aliases), split(acr), country, region if "-" in region else None, domains, "police")
        )
    return out


def us() -> list[Entry]:
    out = []
    for code, state, police, domains, *ag_domains in table("us_states.txt"):
        region = f"US-{code}"
        names = split(police)
        out.append(entry(names[0], names[1:], [], "US", region, split(domains), "police"))
        ag = [
            f"{state} Attorney General's Office",
            f"{state} Attorney General",
            f"{state} Office of the Attorney General",
            f"{state} Office of Attorney General",
            f"Office of the Attorney General of {state}",
            f"{state} Department of Justice",  # the attorney general's department in several states
        ]
        doms = split(ag_domains[0]) if ag_domains else []
        out.append(entry(f"Office of the {state} Attorney General", ag, [], "US", region, doms, "prosecution"))
    for name, aliases, acr, region, domains in table("us_local.txt"):
        out.append(
            entry(name, split(aliases), split(acr), "US", region if "-" in region else None, split(domains), "police")
        )
    return out


def germany(sub: dict[str, Any]) -> list[Entry]:
    out = []
    for code, land in sub["de_laender"].items():
        region, name, domain = f"DE-{code}", land["land"], land["domain"]
        city_state = code in sub["de_city_states"]
        names = land["police_names"]
        if code != "BE":
            out.append(
                entry(
                    f"Landeskriminalamt {name}", [f"LKA {name}"], [], "DE", region, [f"lka.{domain}", domain], "police"
                )
            )
        extra = [] if city_state else [f"Polizeipräsidium {name}"]
        if code == "BE":  # Berlin's LKA is part of Polizei Berlin
            extra += ["Landeskriminalamt Berlin", "LKA Berlin"]
        out.append(entry(names[0], names[1:] + extra, [], "DE", region, [domain], "police"))
        out.append(entry(f"Generalstaatsanwaltschaft {name}", [], [], "DE", region, [], "prosecution"))
        for city in land["cities"]:
            if not city_state:
                aliases = [f"PP {city}", f"Polizei {city}", f"Kriminalpolizeiinspektion {city}"]
                out.append(entry(f"Polizeipräsidium {city}", aliases, [], "DE", region, [], "police"))
            sta = "München I" if city == "München" else city
            aliases = [f"StA {sta}", f"Staatsanwaltschaft {city}"] + (
                ["Staatsanwaltschaft München II"] if city == "München" else []
            )
            out.append(entry(f"Staatsanwaltschaft {sta}", aliases, [], "DE", region, [], "prosecution"))
    for e in sub["de_extra"]:
        out.append(entry(e["name"], e["aliases"], e["acronyms"], "DE", f"DE-{e['land']}", e["domains"], e["kind"]))
    return out


def austria_switzerland(sub: dict[str, Any]) -> list[Entry]:
    out = []
    for code, land in sub["at_laender"].items():
        aliases = [f"LPD {land}", f"Landeskriminalamt {land}", f"LKA {land}", f"Polizei {land}"]
        out.append(
            entry(f"Landespolizeidirektion {land}", aliases, [], "AT", f"AT-{code}", ["polizei.gv.at"], "police")
        )
    for city in sub["at_prosecutor_cities"]:
        name = f"Staatsanwaltschaft {city} (Österreich)" if city == "Salzburg" else f"Staatsanwaltschaft {city}"
        out.append(entry(name, [f"StA {city}"], [], "AT", None, ["justiz.gv.at"], "prosecution"))
    for code, canton in sub["ch_cantons_de"].items():
        region = f"CH-{code}"
        domains = [f"kapo.{code.lower()}.ch"]
        out.append(
            entry(
                f"Kantonspolizei {canton}", [f"Kapo {canton}", f"Polizei {canton}"], [], "CH", region, domains, "police"
            )
        )
        aliases = [f"Staatsanwaltschaft {canton}"]
        out.append(entry(f"Staatsanwaltschaft des Kantons {canton}", aliases, [], "CH", region, [], "prosecution"))
    for code, c in sub["ch_cantons_fr_it"].items():
        canton, region = c["canton"], f"CH-{code}"
        police = "Polizia cantonale Ticino" if code == "TI" else f"Police cantonale {canton}"
        out.append(entry(police, [f"Police {canton}"], [], "CH", region, [c["domain"]], "police"))
        mp = "Ministero pubblico del Cantone Ticino" if code == "TI" else f"Ministère public du canton de {canton}"
        out.append(entry(mp, [], [], "CH", region, [], "prosecution"))
    out.append(entry("Stadtpolizei Zürich", ["Stapo Zürich"], [], "CH", "CH-ZH", ["zuerich.ch"], "police"))
    return out


def italy_france_spain(sub: dict[str, Any]) -> list[Entry]:
    out = []
    for city in sub["it_cities"]:
        aliases = [f"Procura di {city}", f"Procura della Repubblica di {city}"]
        out.append(
            entry(
                f"Procura della Repubblica presso il Tribunale di {city}",
                aliases,
                [],
                "IT",
                None,
                ["giustiziacert.it", "giustizia.it"],
                "prosecution",
            )
        )
        out.append(entry(f"Questura di {city}", [], [], "IT", None, ["poliziadistato.it"], "police"))
        aliases = [f"Polizia Municipale di {city}", f"Comando di Polizia Locale di {city}"]
        out.append(entry(f"Polizia Locale di {city}", aliases, [], "IT", None, [], "police"))
    for city in sub["fr_cities"]:
        if city == "Paris":
            continue  # Parquet de Paris is a national entry (J3 cybercrime section)
        aliases = [
            f"Parquet du tribunal judiciaire de {city}",
            f"Procureur de la République de {city}",
            f"Tribunal judiciaire de {city}",
        ]
        out.append(entry(f"Parquet de {city}", aliases, [], "FR", None, ["justice.fr"], "prosecution"))
    for city in sub["es_cities"]:
        aliases = [f"Juzgados de Instrucción de {city}"]
        out.append(entry(f"Juzgado de Instrucción de {city}", aliases, [], "ES", None, ["justicia.es"], "court"))
    for province in sub["es_provinces"]:  # provincial offices of the national Ministerio Fiscal
        aliases = [f"Fiscalía de {province}"]
        out.append(entry(f"Fiscalía Provincial de {province}", aliases, [], "ES", None, ["fiscal.es"], "prosecution"))
    return out


def belgium(sub: dict[str, Any]) -> list[Entry]:
    """Local police zones: municipal forces sharing the national police.belgium.eu domain."""
    out = []
    for z in sub["be_police_zones"]:
        names = z["names"]
        aliases = names[1:] + [f"{prefix} {place}" for place in z["places"] for prefix in sub["be_zone_prefixes"]]
        out.append(entry(names[0], aliases, z.get("acronyms", []), "BE", z["region"], ["police.belgium.eu"], "police"))
    return out


def india(sub: dict[str, Any]) -> list[Entry]:
    out = []
    for code, s in sub["in_states"].items():
        names = s["police_names"]
        out.append(entry(names[0], names[1:], [], "IN", f"IN-{code}", [s["domain"]], "police"))
    for c in sub["in_cities"]:
        out.append(entry(c["name"], c["aliases"], [], "IN", f"IN-{c['state']}", c["domains"], "police"))
    return out

def poland(sub: dict[str, Any]) -> list[Entry]:
    """District and regional prosecutors' offices and city police commands, named with the locative."""
    out = []
    for city, loc in sub["pl_cities"].items():
        aliases = [f"Prokuratura Okręgowa {city}", f"PO w {loc}"]
        out.append(entry(f"Prokuratura Okręgowa w {loc}", aliases, [], "PL", None, [], "prosecution"))
        out.append(entry(f"Prokuratura Rejonowa w {loc}", [f"PR w {loc}"], [], "PL", None, [], "prosecution"))
        if city in sub["pl_regional_prosecutors"]:
            out.append(entry(f"Prokuratura Regionalna w {loc}", [], [], "PL", None, [], "prosecution"))
        if city in sub["pl_voivodeship_police"]:
            out.append(entry(f"Komenda Wojewódzka Policji w {loc}", [f"KWP w {loc}"], [], "PL", None, [], "police"))
        if city != "Warszawa":  # Warsaw's city force is the Komenda Stołeczna Policji
            out.append(entry(f"Komenda Miejska Policji w {loc}", [f"KMP w {loc}"], [], "PL", None, [], "police"))
        for district in sub["pl_district_prosecutors"].get(city, []):
            name = f"Prokuratura Rejonowa {city}-{district}"
            out.append(entry(f"{name} w {loc}", [name], [], "PL", None, [], "prosecution"))
    return out


def brazil(sub: dict[str, Any]) -> list[Entry]:
    out = []
    for code, state in sub["br_states"].items():
        prep = "da" if state in sub["br_states_with_da"] else "do" if state in sub["br_states_with_do"] else "de"
        low = code.lower()
        aliases = [f"Polícia Civil {code}", f"PC{code}", f"PC-{code}"]
        domains = [f"pc.{low}.gov.br", f"policiacivil.{low}.gov.br"]
        out.append(entry(f"Polícia Civil {prep} {state}", aliases, [], "BR", f"BR-{code}", domains, "police"))
        aliases = [f"Ministério Público Estadual {code}", f"MP{code}"]
        out.append(
            entry(
                f"Ministério Público {prep} {state}", aliases, [], "BR", f"BR-{code}", [f"mp{low}.mp.br"], "prosecution"
            )
        )
    return out


def main() -> None:
    sub = json.loads((HERE / "subnational.json").read_text(encoding="utf-8"))
    entries = (
        national()
        + uk()
        + us()
        + germany(sub)
        + austria_switzerland(sub)
        + italy_france_spain(sub)
        + belgium(sub)
        + india(sub)
        + brazil(sub)
        + poland(sub)
    )
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
