"""The few words leadflow itself puts on a hosted form, per language; a form's own texts win.

Pure: plain data, no imports beyond the standard library.
"""

from __future__ import annotations

WORDS = {
    "en": {"submit": "Send", "thanks": "Thank you! We have received your details.",
           "required": "This field is required.", "email": "Enter a valid email address.",
           "phone": "Enter a valid phone number.", "choice": "Choose one of the options.",
           "consent": "Tick this box to continue.", "invalid": "Check this value.",
           "too_long": "This is too long.", "summary": "Please correct the following:",
           "required_note": "Fields marked * are required.", "honeypot": "Leave this field empty",
           "failed": "Sorry, something went wrong. Please try again.", "lead":
           "Please give an email address or a phone number."},
    "nl": {"submit": "Verzenden", "thanks": "Dank je wel! We hebben je gegevens ontvangen.",
           "required": "Dit veld is verplicht.", "email": "Vul een geldig e-mailadres in.",
           "phone": "Vul een geldig telefoonnummer in.", "choice": "Kies een van de opties.",
           "consent": "Vink dit vakje aan om verder te gaan.", "invalid": "Controleer deze waarde.",
           "too_long": "Dit is te lang.", "summary": "Verbeter het volgende:",
           "required_note": "Velden met * zijn verplicht.", "honeypot": "Laat dit veld leeg",
           "failed": "Sorry, er ging iets mis. Probeer het opnieuw.", "lead":
           "Vul een e-mailadres of telefoonnummer in."},
    "de": {"submit": "Senden", "thanks": "Vielen Dank! Wir haben Ihre Angaben erhalten.",
           "required": "Dieses Feld ist erforderlich.", "email": "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
           "phone": "Bitte geben Sie eine gültige Telefonnummer ein.", "choice": "Bitte wählen Sie eine Option.",
           "consent": "Bitte kreuzen Sie dieses Feld an.", "invalid": "Bitte prüfen Sie diesen Wert.",
           "too_long": "Das ist zu lang.", "summary": "Bitte korrigieren Sie Folgendes:",
           "required_note": "Mit * markierte Felder sind Pflichtfelder.", "honeypot": "Dieses Feld leer lassen",
           "failed": "Leider ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.", "lead":
           "Bitte geben Sie eine E-Mail-Adresse oder Telefonnummer an."},
    "fr": {"submit": "Envoyer", "thanks": "Merci ! Nous avons bien reçu vos informations.",
           "required": "Ce champ est obligatoire.", "email": "Saisissez une adresse e-mail valide.",
           "phone": "Saisissez un numéro de téléphone valide.", "choice": "Choisissez une des options.",
           "consent": "Cochez cette case pour continuer.", "invalid": "Vérifiez cette valeur.",
           "too_long": "C'est trop long.", "summary": "Veuillez corriger les points suivants :",
           "required_note": "Les champs marqués * sont obligatoires.", "honeypot": "Laissez ce champ vide",
           "failed": "Désolé, une erreur s'est produite. Veuillez réessayer.", "lead":
           "Indiquez une adresse e-mail ou un numéro de téléphone."},
}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language) or WORDS.get(language.split("-")[0]) or WORDS["en"]
