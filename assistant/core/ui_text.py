"""Every piece of interface text, in Swedish, Danish, Norwegian (bokmål) and English.

`t(lang, key, **values)` formats one string; `ui_language()` picks the page's language
from a stored choice or the browser's languages. Each entry is (sv, da, no, en)."""
from __future__ import annotations

LANGS = ("sv", "da", "no", "en")
STORAGE_KEY = "minutes-assistant-lang"   # localStorage key for the member's choice

_T: dict[str, tuple[str, str, str, str]] = {
    # page
    "title": ("Protokollassistenten", "Referatassistenten", "Referatassistenten", "Minutes assistant"),
    "language": ("Språk", "Sprog", "Språk", "Language"),
    "ask_label": ("Din fråga", "Dit spørgsmål", "Ditt spørsmål", "Your question"),
    "ask_placeholder": ("Skriv en fråga om dokumenten …", "Skriv et spørgsmål om dokumenterne …",
                        "Skriv et spørsmål om dokumentene …", "Type a question about the documents …"),
    "send": ("Skicka", "Send", "Send", "Send"),
    "chat_label": ("Samtal", "Samtale", "Samtale", "Conversation"),
    # start screen
    "start_head": ("Fråga om fackets protokoll och dokument", "Spørg om fagforeningens referater og dokumenter",
                   "Spør om fagforeningens referater og dokumenter", "Ask about the union's minutes and documents"),
    "start_body": ("Svaren kommer bara från de här {n} dokumenten ({years}), och varje uppgift visar sin källa:",
                   "Svarene kommer kun fra disse {n} dokumenter ({years}), og hver oplysning viser sin kilde:",
                   "Svarene kommer bare fra disse {n} dokumentene ({years}), og hver opplysning viser kilden sin:",
                   "Answers come only from these {n} documents ({years}), and every statement shows its source:"),
    "start_more": ("… och {n} till", "… og {n} mere", "… og {n} til", "… and {n} more"),
    "start_langs": ("Fråga på svenska, danska, norska eller engelska. Prova:",
                    "Spørg på svensk, dansk, norsk eller engelsk. Prøv:",
                    "Spør på svensk, dansk, norsk eller engelsk. Prøv:",
                    "Ask in Swedish, Danish, Norwegian or English. Try:"),
    "start_empty": ("Inga dokument är indexerade ännu.", "Ingen dokumenter er indekseret endnu.",
                    "Ingen dokumenter er indeksert ennå.", "No documents are indexed yet."),
    # answers and sources
    "sources": ("Källor", "Kilder", "Kilder", "Sources"),
    "source_n": ("Källa {n}", "Kilde {n}", "Kilde {n}", "Source {n}"),
    "open_doc": ("Öppna dokumentet vid det här stycket", "Åbn dokumentet ved dette afsnit",
                 "Åpne dokumentet ved dette avsnittet", "Open the document at this passage"),
    "reading": ("Läser {n} stycken ur {d} dokument …", "Læser {n} afsnit fra {d} dokumenter …",
                "Leser {n} avsnitt fra {d} dokumenter …", "Reading {n} passages from {d} documents …"),
    "waiting_1": ("1 fråga före din i kön …", "1 spørgsmål før dit i køen …", "1 spørsmål før ditt i køen …",
                  "1 question ahead of yours …"),
    "waiting_n": ("{n} frågor före din i kön …", "{n} spørgsmål før dit i køen …", "{n} spørsmål før ditt i køen …",
                  "{n} questions ahead of yours …"),
    "error": ("Något gick fel: {msg}", "Noget gik galt: {msg}", "Noe gikk galt: {msg}", "Something went wrong: {msg}"),
    # feedback
    "like": ("Bra svar", "Godt svar", "Godt svar", "Good answer"),
    "dislike": ("Dåligt svar", "Dårligt svar", "Dårlig svar", "Bad answer"),
    "clear_chat": ("Rensa samtalet", "Ryd samtalen", "Tøm samtalen", "Clear the conversation"),
    "copy": ("Kopiera", "Kopiér", "Kopier", "Copy"),
    "thanks_up": ("Tack! Ditt omdöme är sparat.", "Tak! Din vurdering er gemt.", "Takk! Vurderingen din er lagret.",
                  "Thank you! Your rating is saved."),
    "thanks_down": ("Tack! Ditt omdöme är sparat. Vad var fel? (frivilligt)",
                    "Tak! Din vurdering er gemt. Hvad var galt? (valgfrit)",
                    "Takk! Vurderingen din er lagret. Hva var galt? (valgfritt)",
                    "Thank you! Your rating is saved. What was wrong? (optional)"),
    "reason_label": ("Vad var fel?", "Hvad var galt?", "Hva var galt?", "What was wrong?"),
    "reason_placeholder": ("T.ex. fel källa, svaret är ofullständigt …", "F.eks. forkert kilde, svaret er ufuldstændigt …",
                           "F.eks. feil kilde, svaret er ufullstendig …", "E.g. wrong source, the answer is incomplete …"),
    "reason_send": ("Skicka", "Send", "Send", "Send"),
    "reason_saved": ("Tack, det är sparat.", "Tak, det er gemt.", "Takk, det er lagret.", "Thank you, it is saved."),
    # filters
    "filters": ("Filter", "Filtre", "Filtre", "Filters"),
    "filters_on": ("Filter på ({n})", "Filtre slået til ({n})", "Filtre på ({n})", "Filters on ({n})"),
    "documents": ("Dokument", "Dokumenter", "Dokumenter", "Documents"),
    "documents_info": ("Tomt = alla dokument", "Tomt = alle dokumenter", "Tomt = alle dokumenter",
                       "Empty = all documents"),
    "languages": ("Dokumentens språk", "Dokumenternes sprog", "Dokumentenes språk", "Document language"),
    "year_from": ("Från år", "Fra år", "Fra år", "From year"),
    "year_to": ("Till år", "Til år", "Til år", "To year"),
    "any_year": ("Alla år", "Alle år", "Alle år", "Any year"),
    "clear_filters": ("Rensa filter", "Ryd filtre", "Fjern filtre", "Clear filters"),
    "filter_state": ("Filter på: {what}. {match}", "Filtre slået til: {what}. {match}", "Filtre på: {what}. {match}",
                     "Filters on: {what}. {match}"),
    "filter_match": ("{n} av {total} dokument matchar.", "{n} af {total} dokumenter passer.",
                     "{n} av {total} dokumenter passer.", "{n} of {total} documents match."),
    "filter_none": ("Inga dokument matchar dina filter.", "Ingen dokumenter passer med dine filtre.",
                    "Ingen dokumenter passer med filtrene dine.", "No documents match your filters."),
    "years_from": ("från {y}", "fra {y}", "fra {y}", "from {y}"),
    "years_to": ("till {y}", "til {y}", "til {y}", "to {y}"),
    # admin
    "admin": ("Administration", "Administration", "Administrasjon", "Administration"),
    "admin_open": ("Vem ser det här? Inget administratörslösenord är satt, så alla som öppnar den här sidan på den här "
                   "datorn med ?admin i adressen kan ladda upp dokument och indexera om. Sätt ASSISTANT_ADMIN_PASSWORD "
                   "för att kräva ett lösenord.",
                   "Hvem ser dette? Der er ikke sat en administratoradgangskode, så alle, der åbner denne side på denne "
                   "computer med ?admin i adressen, kan uploade dokumenter og genindeksere. Sæt ASSISTANT_ADMIN_PASSWORD "
                   "for at kræve en adgangskode.",
                   "Hvem ser dette? Det er ikke satt noe administratorpassord, så alle som åpner denne siden på denne "
                   "datamaskinen med ?admin i adressen, kan laste opp dokumenter og indeksere på nytt. Sett "
                   "ASSISTANT_ADMIN_PASSWORD for å kreve et passord.",
                   "Who can see this? No admin password is set, so anyone who opens this page on this computer with "
                   "?admin in the address can upload documents and re-index. Set ASSISTANT_ADMIN_PASSWORD to require "
                   "a password."),
    "admin_shared": ("Administrationen är avstängd: appen nås från andra datorer och inget lösenord är satt. Sätt "
                     "ASSISTANT_ADMIN_PASSWORD.",
                     "Administrationen er slået fra: appen kan nås fra andre computere, og der er ikke sat en "
                     "adgangskode. Sæt ASSISTANT_ADMIN_PASSWORD.",
                     "Administrasjonen er slått av: appen kan nås fra andre maskiner, og det er ikke satt noe passord. "
                     "Sett ASSISTANT_ADMIN_PASSWORD.",
                     "Administration is off: the app is reachable from other computers and no password is set. Set "
                     "ASSISTANT_ADMIN_PASSWORD."),
    "admin_locked": ("Bara administratörer med lösenordet ser verktygen. Medlemmar ser inte den här delen.",
                     "Kun administratorer med adgangskoden ser værktøjerne. Medlemmer ser ikke denne del.",
                     "Bare administratorer med passordet ser verktøyene. Medlemmer ser ikke denne delen.",
                     "Only admins with the password see the tools. Members do not see this part."),
    "password": ("Administratörslösenord", "Administratoradgangskode", "Administratorpassord", "Admin password"),
    "sign_in": ("Logga in", "Log ind", "Logg inn", "Sign in"),
    "wrong_password": ("Fel lösenord.", "Forkert adgangskode.", "Feil passord.", "Wrong password."),
    "signed_in": ("Inloggad som administratör.", "Logget ind som administrator.", "Logget inn som administrator.",
                  "Signed in as admin."),
    "not_admin": ("Logga in som administratör först.", "Log ind som administrator først.",
                  "Logg inn som administrator først.", "Sign in as admin first."),
    "upload": ("Ladda upp dokument (.txt .md .pdf .docx .html)", "Upload dokumenter (.txt .md .pdf .docx .html)",
               "Last opp dokumenter (.txt .md .pdf .docx .html)", "Upload documents (.txt .md .pdf .docx .html)"),
    "replace": ("Ersätt filer med samma namn (den gamla versionen sparas i corpus/.previous/)",
                "Erstat filer med samme navn (den gamle version gemmes i corpus/.previous/)",
                "Erstatt filer med samme navn (den gamle versjonen lagres i corpus/.previous/)",
                "Replace files with the same name (the old version is kept in corpus/.previous/)"),
    "upload_log": ("Uppladdning", "Upload", "Opplasting", "Upload log"),
    "reindex": ("Indexera om", "Genindeksér", "Indekser på nytt", "Re-index"),
    "reindex_log": ("Omindexering", "Genindeksering", "Ny indeksering", "Re-index log"),
    "no_files": ("Inga filer valda.", "Ingen filer valgt.", "Ingen filer valgt.", "No files chosen."),
    "up_saved": ("✔ sparad: {name}", "✔ gemt: {name}", "✔ lagret: {name}", "✔ saved: {name}"),
    "up_replaced": ("✔ ersatt: {name} (den gamla versionen finns i .previous/{old})",
                    "✔ erstattet: {name} (den gamle version ligger i .previous/{old})",
                    "✔ erstattet: {name} (den gamle versjonen ligger i .previous/{old})",
                    "✔ replaced: {name} (the old version is in .previous/{old})"),
    "up_same": ("• oförändrad: {name} finns redan med samma innehåll", "• uændret: {name} findes allerede med samme indhold",
                "• uendret: {name} finnes allerede med samme innhold", "• unchanged: {name} already exists with the same content"),
    "up_exists": ("✘ {name}: en annan fil med samma namn finns redan; inget skrevs över. Byt namn på filen, eller kryssa "
                  "i ”Ersätt filer med samma namn”.",
                  "✘ {name}: en anden fil med samme navn findes allerede; intet blev overskrevet. Omdøb filen, eller "
                  "sæt kryds ved ”Erstat filer med samme navn”.",
                  "✘ {name}: en annen fil med samme navn finnes allerede; ingenting ble overskrevet. Gi filen nytt "
                  "navn, eller kryss av for «Erstatt filer med samme navn».",
                  "✘ {name}: a different file with this name already exists; nothing was overwritten. Rename the file, "
                  "or tick “Replace files with the same name”."),
    "up_type": ("✘ {name}: filtypen {ext} tillåts inte (tillåtna: {allowed})",
                "✘ {name}: filtypen {ext} er ikke tilladt (tilladte: {allowed})",
                "✘ {name}: filtypen {ext} er ikke tillatt (tillatt: {allowed})",
                "✘ {name}: type {ext} not allowed (allowed: {allowed})"),
    "up_big": ("✘ {name}: {mb} MB är över gränsen på {max} MB", "✘ {name}: {mb} MB er over grænsen på {max} MB",
               "✘ {name}: {mb} MB er over grensen på {max} MB", "✘ {name}: {mb} MB is over the {max} MB limit"),
    "up_empty": ("✘ {name}: filen är tom", "✘ {name}: filen er tom", "✘ {name}: filen er tom", "✘ {name}: the file is empty"),
    "up_badname": ("✘ {name}: inget användbart filnamn", "✘ {name}: ikke et brugbart filnavn",
                   "✘ {name}: ikke et brukbart filnavn", "✘ {name}: not a usable file name"),
    "up_next": ("Tryck på ”Indexera om” för att göra nya dokument sökbara.",
                "Tryk på ”Genindeksér” for at gøre nye dokumenter søgbare.",
                "Trykk på «Indekser på nytt» for å gjøre nye dokumenter søkbare.",
                "Press “Re-index” to make new documents searchable."),
    "rx_summary": ("Tillagda {a}, uppdaterade {u}, borttagna {r}, oförändrade {n} dokument ({s} s).",
                   "Tilføjet {a}, opdateret {u}, fjernet {r}, uændret {n} dokumenter ({s} s).",
                   "Lagt til {a}, oppdatert {u}, fjernet {r}, uendret {n} dokumenter ({s} s).",
                   "Added {a}, updated {u}, removed {r}, unchanged {n} documents ({s} s)."),
    "rx_added": ("tillagt", "tilføjet", "lagt til", "added"),
    "rx_updated": ("uppdaterat", "opdateret", "oppdatert", "updated"),
    "rx_removed": ("borttaget", "fjernet", "fjernet", "removed"),
    "rx_kept": ("kunde inte läsas, förra versionen behålls", "kunne ikke læses, den forrige version beholdes",
                "kunne ikke leses, forrige versjon beholdes", "could not be read, the previous version is kept"),
    "rx_error": ("fel", "fejl", "feil", "error"),
    "rx_reading": ("Läser dokumenten …", "Læser dokumenterne …", "Leser dokumentene …", "Reading the documents …"),
    "rx_embedding": ("Beräknar vektorer …", "Beregner vektorer …", "Beregner vektorer …", "Computing vectors …"),
    "rx_writing": ("Skriver index …", "Skriver indeks …", "Skriver indeks …", "Writing the index …"),
    "status": ("**{n} dokument, {c} stycken**, senast indexerat {when}",
               "**{n} dokumenter, {c} afsnit**, sidst indekseret {when}",
               "**{n} dokumenter, {c} avsnitt**, sist indeksert {when}",
               "**{n} documents, {c} passages**, last indexed {when}"),
    "col_title": ("Titel", "Titel", "Tittel", "Title"),
    "col_date": ("Datum", "Dato", "Dato", "Date"),
    "col_lang": ("Språk", "Sprog", "Språk", "Language"),
    "col_chunks": ("Stycken", "Afsnit", "Avsnitt", "Passages"),
    "col_file": ("Fil", "Fil", "Fil", "File"),
    # document page
    "doc_passage": ("Det citerade stycket är markerat.", "Det citerede afsnit er markeret.",
                    "Det siterte avsnittet er markert.", "The cited passage is highlighted."),
    "doc_missing": ("Dokumentet finns inte i indexet.", "Dokumentet findes ikke i indekset.",
                    "Dokumentet finnes ikke i indeksen.", "The document is not in the index."),
}

LANGUAGE_NAMES = {  # names of the four languages, in each interface language
    "sv": {"sv": "svenska", "da": "danska", "no": "norska", "en": "engelska"},
    "da": {"sv": "svensk", "da": "dansk", "no": "norsk", "en": "engelsk"},
    "no": {"sv": "svensk", "da": "dansk", "no": "norsk", "en": "engelsk"},
    "en": {"sv": "Swedish", "da": "Danish", "no": "Norwegian", "en": "English"},
}
SWITCH_NAMES = {"sv": "Svenska", "da": "Dansk", "no": "Norsk", "en": "English"}  # each in its own language

MONTHS = {
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "da": "januar februar marts april maj juni juli august september oktober november december",
    "no": "januar februar mars april mai juni juli august september oktober november desember",
    "en": "January February March April May June July August September October November December",
}

EXAMPLES = {  # questions the shipped documents answer, in each language
    "sv": ["Hur många underskrifter fick namninsamlingen på några timmar?",
           "När ska utredningen om skyddad titel vara klar?",
           "Vem leder Helsesekretærforbundet i Delta?"],
    "da": ["Hvornår skal udredningen om beskyttet titel være færdig?",
           "Hvor mange personer består referencegruppen af?",
           "Hvad er formålet med partnerskabet?"],
    "no": ["Hvor mye er inngangslønnen i Danmark?",
           "Hvem er leder for Helsesekretærforbundet i Delta?",
           "Hvor mange underskrifter fikk namninnsamlingen på noen timer?"],
    "en": ["How many people are in the reference group of the partnership?",
           "When should the central parties' agreement on salaries be ready?",
           "Which newspaper published the article about health secretaries?"],
}

TEXT = {lang: {k: v[i] for k, v in _T.items()} for i, lang in enumerate(LANGS)}


def t(lang: str, key: str, **values: object) -> str:
    s = TEXT.get(lang, TEXT["en"])[key]
    return s.format(**values) if values else s


def ui_language(preferred: str | None) -> str:
    """sv/da/no/en from a stored choice ("da") or a browser language list / Accept-Language
    header ("nb-NO,nb;q=0.9,en;q=0.5"); nb/nn count as no; English when none fits."""
    for part in (preferred or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        code = {"nb": "no", "nn": "no"}.get(code, code)
        if code in TEXT:
            return code
    return "en"


def human_date(iso: str | None, lang: str) -> str:
    """'2023-03-17' -> '17 mars 2023' (sv), '17. marts 2023' (da), '17 March 2023' (en)."""
    if not iso:
        return ""
    try:
        y, m, d = (int(x) for x in iso[:10].split("-"))
        month = MONTHS.get(lang, MONTHS["en"]).split()[m - 1]
    except (ValueError, IndexError):
        return iso
    return f"{d}. {month} {y}" if lang in ("da", "no") else f"{d} {month} {y}"
