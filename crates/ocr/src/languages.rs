//! Wiki language codes to tesseract models (`.traineddata` names).
//!
//! A request names one wiki language (`fr`), several joined with `+` (`de+la`),
//! or tesseract models directly (`frk`, `deu_latf`). Each wiki code maps to the
//! first installed model of its candidates: the ISO 639-1 code to the ISO 639-2/T
//! code that Debian's `tesseract-ocr-<code>` packages use, plus Wikisource's own
//! codes (`de-f` for Fraktur, `la`, `nb`). A valid code without an installed model
//! falls back to the default model with a warning; a value that is not a
//! language code at all is rejected.

use std::collections::BTreeSet;
use std::path::Path;

use crate::messages;

/// Longest accepted `lang` value.
const MAX_LANG_LENGTH: usize = 64;
/// Languages one request may combine.
const MAX_LANGUAGES: usize = 4;

/// Wiki (ISO 639-1 or Wikisource) code → tesseract models, the first installed one wins.
const WIKI_TO_TESSERACT: &[(&str, &[&str])] = &[
    ("af", &["afr"]),
    ("am", &["amh"]),
    ("ar", &["ara"]),
    ("as", &["asm"]),
    ("az", &["aze"]),
    ("be", &["bel"]),
    ("bg", &["bul"]),
    ("bn", &["ben"]),
    ("bo", &["bod"]),
    ("br", &["bre"]),
    ("bs", &["bos"]),
    ("ca", &["cat"]),
    ("ceb", &["ceb"]),
    ("chr", &["chr"]),
    ("co", &["cos"]),
    ("cs", &["ces"]),
    ("cy", &["cym"]),
    ("da", &["dan"]),
    ("de", &["deu"]),
    // Fraktur: tessdata 4.1 (Debian 12) calls it frk, newer tessdata deu_latf.
    ("de-f", &["deu_latf", "frk", "script/Fraktur"]),
    ("dv", &["div"]),
    ("dz", &["dzo"]),
    ("el", &["ell"]),
    ("en", &["eng"]),
    ("enm", &["enm"]),
    ("eo", &["epo"]),
    ("es", &["spa"]),
    ("et", &["est"]),
    ("eu", &["eus"]),
    ("fa", &["fas"]),
    ("fi", &["fin"]),
    ("fil", &["fil"]),
    ("fo", &["fao"]),
    ("fr", &["fra"]),
    ("frm", &["frm"]),
    ("fy", &["fry"]),
    ("ga", &["gle"]),
    ("gd", &["gla"]),
    ("gl", &["glg"]),
    ("grc", &["grc"]),
    ("gu", &["guj"]),
    ("he", &["heb"]),
    ("hi", &["hin"]),
    ("hr", &["hrv"]),
    ("ht", &["hat"]),
    ("hu", &["hun"]),
    ("hy", &["hye"]),
    ("id", &["ind"]),
    ("is", &["isl"]),
    ("it", &["ita"]),
    ("iu", &["iku"]),
    ("ja", &["jpn"]),
    ("jv", &["jav"]),
    ("ka", &["kat"]),
    ("kk", &["kaz"]),
    ("km", &["khm"]),
    ("kn", &["kan"]),
    ("ko", &["kor"]),
    ("ku", &["kmr"]),
    ("ky", &["kir"]),
    // Latin has its own model; the old tool used Italian for it.
    ("la", &["lat"]),
    ("lb", &["ltz"]),
    ("lo", &["lao"]),
    ("lt", &["lit"]),
    ("lv", &["lav"]),
    ("mi", &["mri"]),
    ("mk", &["mkd"]),
    ("ml", &["mal"]),
    ("mn", &["mon"]),
    ("mr", &["mar"]),
    ("ms", &["msa"]),
    ("mt", &["mlt"]),
    ("my", &["mya"]),
    ("nb", &["nor"]),
    ("ne", &["nep"]),
    ("nl", &["nld"]),
    ("nn", &["nor"]),
    ("no", &["nor"]),
    ("oc", &["oci"]),
    ("or", &["ori"]),
    ("pa", &["pan"]),
    ("pl", &["pol"]),
    ("ps", &["pus"]),
    ("pt", &["por"]),
    ("qu", &["que"]),
    ("ro", &["ron"]),
    ("ru", &["rus"]),
    ("sa", &["san"]),
    ("sd", &["snd"]),
    ("si", &["sin"]),
    ("sk", &["slk"]),
    ("sl", &["slv"]),
    ("sq", &["sqi"]),
    ("sr", &["srp", "srp_latn"]),
    ("su", &["sun"]),
    ("sv", &["swe"]),
    ("sw", &["swa"]),
    ("ta", &["tam"]),
    ("te", &["tel"]),
    ("tg", &["tgk"]),
    ("th", &["tha"]),
    ("ti", &["tir"]),
    ("tl", &["fil"]),
    ("to", &["ton"]),
    ("tr", &["tur"]),
    ("tt", &["tat"]),
    ("ug", &["uig"]),
    ("uk", &["ukr"]),
    ("ur", &["urd"]),
    ("uz", &["uzb"]),
    ("vi", &["vie"]),
    ("yi", &["yid"]),
    ("yo", &["yor"]),
    ("zh", &["chi_tra", "chi_sim"]),
];

/// The models a request resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageChoice {
    /// tesseract models joined with `+`, such as `deu+lat`.
    pub tesseract: String,
    /// Warnings for the reply, one per code that fell back to the default.
    pub warnings: Vec<String>,
}

/// The installed models and the default one.
#[derive(Debug, Clone)]
pub struct Languages {
    installed: BTreeSet<String>,
    default: String,
}

impl Languages {
    /// Lists the models in `tessdata_dir` (and its `script/` folder).
    pub fn load(tessdata_dir: &Path, default: &str) -> std::io::Result<Languages> {
        let mut installed = BTreeSet::new();
        for (folder, prefix) in [
            (tessdata_dir.to_path_buf(), ""),
            (tessdata_dir.join("script"), "script/"),
        ] {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries {
                let name = entry?.file_name().to_string_lossy().into_owned();
                if let Some(model) = name.strip_suffix(".traineddata") {
                    if model != "osd" && model != "equ" {
                        installed.insert(format!("{prefix}{model}"));
                    }
                }
            }
        }
        Ok(Self::from_installed(installed, default))
    }

    pub fn from_installed(installed: BTreeSet<String>, default: &str) -> Languages {
        Languages {
            installed,
            default: default.to_owned(),
        }
    }

    /// Returns the installed models, sorted.
    pub fn installed(&self) -> impl Iterator<Item = &str> {
        self.installed.iter().map(String::as_str)
    }

    /// Returns the wiki codes whose model is installed, with that model.
    pub fn wiki_codes(&self) -> Vec<(&'static str, &str)> {
        WIKI_TO_TESSERACT
            .iter()
            .filter_map(|(code, candidates)| {
                let model = candidates.iter().find(|model| self.installed.contains(**model))?;
                Some((*code, self.installed.get(*model)?.as_str()))
            })
            .collect()
    }

    /// Resolves a `lang` value. `Err` is the message for a 400 reply: the value
    /// is not a list of language codes.
    pub fn resolve(&self, lang: &str) -> Result<LanguageChoice, String> {
        let lang = lang.trim();
        if lang.is_empty() || lang.len() > MAX_LANG_LENGTH {
            return Err(messages::invalid_language_code(lang, MAX_LANG_LENGTH));
        }
        let codes: Vec<&str> = lang.split('+').collect();
        if codes.len() > MAX_LANGUAGES {
            return Err(messages::too_many_languages(lang, MAX_LANGUAGES));
        }
        let mut models: Vec<String> = Vec::new();
        let mut warnings = Vec::new();
        for code in codes {
            if !is_language_code(code) {
                return Err(messages::invalid_language_code(code, MAX_LANG_LENGTH));
            }
            let model = match self.model_for(code) {
                Some(model) => model,
                None => {
                    warnings.push(messages::language_fallback(code, &self.default));
                    self.default.clone()
                }
            };
            if !models.contains(&model) {
                models.push(model);
            }
        }
        Ok(LanguageChoice {
            tesseract: models.join("+"),
            warnings,
        })
    }

    fn model_for(&self, code: &str) -> Option<String> {
        let lowercase = code.to_ascii_lowercase();
        if let Some((_, candidates)) = WIKI_TO_TESSERACT.iter().find(|(wiki, _)| *wiki == lowercase) {
            return candidates
                .iter()
                .find(|model| self.installed.contains(**model))
                .map(|model| (*model).to_owned());
        }
        // A tesseract model name given directly, such as `frk` or `deu_latf`.
        self.installed.contains(code).then(|| code.to_owned())
    }
}

/// Checks for a wiki code (`fr`, `de-f`, `zh-min-nan`) or a tesseract model name (`deu_latf`,
/// `script/Fraktur`): letters, digits, `-`, `_` and one `script/` prefix, nothing
/// that could name another path.
fn is_language_code(code: &str) -> bool {
    let name = code.strip_prefix("script/").unwrap_or(code);
    let starts_with_letter = name.chars().next().is_some_and(|first| first.is_ascii_alphabetic());
    starts_with_letter
        && name.len() <= 24
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '-' || character == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn languages(installed: &[&str]) -> Languages {
        Languages::from_installed(installed.iter().map(|name| (*name).to_owned()).collect(), "eng")
    }

    #[test]
    fn wiki_codes_map_to_models() {
        let languages = languages(&["eng", "fra", "deu", "lat", "nor", "frk", "ita"]);
        for (code, expected) in [
            ("fr", "fra"),
            ("la", "lat"),
            ("nb", "nor"),
            ("no", "nor"),
            ("de-f", "frk"),
            ("en", "eng"),
        ] {
            let choice = languages.resolve(code).unwrap();
            assert_eq!(choice.tesseract, expected, "{code}");
            assert!(choice.warnings.is_empty(), "{code}: {:?}", choice.warnings);
        }
    }

    #[test]
    fn several_codes_joined() {
        let languages = languages(&["eng", "deu", "lat"]);
        assert_eq!(languages.resolve("de+la").unwrap().tesseract, "deu+lat");
        assert_eq!(languages.resolve("de+de").unwrap().tesseract, "deu");
    }

    #[test]
    fn unknown_code_falls_back() {
        let languages = languages(&["eng", "fra"]);
        let choice = languages.resolve("xx").unwrap();
        assert_eq!(choice.tesseract, "eng");
        assert_eq!(choice.warnings.len(), 1);
        assert!(choice.warnings[0].contains("\"xx\""), "{:?}", choice.warnings);
    }

    #[test]
    fn uninstalled_model_falls_back() {
        let languages = languages(&["eng"]);
        let choice = languages.resolve("ru").unwrap();
        assert_eq!(choice.tesseract, "eng");
        assert_eq!(choice.warnings.len(), 1);
    }

    #[test]
    fn model_names_accepted() {
        let languages = languages(&["eng", "deu_latf", "script/Fraktur"]);
        assert_eq!(languages.resolve("deu_latf").unwrap().tesseract, "deu_latf");
        assert_eq!(languages.resolve("de-f").unwrap().tesseract, "deu_latf");
        assert_eq!(languages.resolve("script/Fraktur").unwrap().tesseract, "script/Fraktur");
    }

    #[test]
    fn non_language_rejected() {
        let languages = languages(&["eng"]);
        for bad in [
            "",
            "../eng",
            "/etc/passwd",
            "e ng",
            "fr;rm",
            "a\0b",
            &"x".repeat(80),
            "1ab",
            "a+b+c+d+e",
        ] {
            assert!(languages.resolve(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
