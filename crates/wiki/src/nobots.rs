//! The `{{bots}}` and `{{nobots}}` exclusion templates, read from wikitext.
//!
//! Rules, for a bot named B:
//! * `{{nobots}}` denies every bot; `{{bots}}` allows every bot.
//! * `{{bots|allow=A,B}}` allows only the listed bots; `allow=all` allows
//!   every bot and `allow=none` denies every bot.
//! * `{{bots|deny=A,B}}` denies the listed bots; `deny=all` denies every bot
//!   and `deny=none` denies none.
//! * `{{nobots|allow=…}}` and `{{nobots|deny=…}}` read like `{{bots|…}}`.
//!
//! Names compare without regard to the case of their first letter, and with
//! spaces and underscores alike. Any template that denies B wins over others.

/// Returns `true` when the exclusion templates of `wikitext` let the bot `bot_name` edit.
pub fn bots_allowed(wikitext: &str, bot_name: &str) -> bool {
    let bot = normalise_name(bot_name);
    exclusion_templates(wikitext).all(|template| template.allows(&bot))
}

#[derive(Debug, PartialEq, Eq)]
struct ExclusionTemplate<'a> {
    nobots: bool,
    params: Vec<(&'a str, &'a str)>,
}

impl ExclusionTemplate<'_> {
    fn allows(&self, bot: &str) -> bool {
        let mut decision = !(self.nobots && self.params.is_empty());
        for (name, value) in &self.params {
            let listed = |bot: &str| value.split(',').any(|entry| normalise_name(entry) == bot);
            match name.trim() {
                "allow" => {
                    decision = match value.trim() {
                        "all" => true,
                        "none" => false,
                        _ => listed(bot),
                    }
                }
                "deny" => {
                    decision = match value.trim() {
                        "all" => false,
                        "none" => true,
                        _ => !listed(bot),
                    }
                }
                _ => {}
            }
            if !decision {
                return false;
            }
        }
        decision
    }
}

/// Finds `{{bots…}}` and `{{nobots…}}`, also spelt with a `Template:` prefix.
fn exclusion_templates(wikitext: &str) -> impl Iterator<Item = ExclusionTemplate<'_>> {
    wikitext.match_indices("{{").filter_map(move |(start, _)| {
        let rest = &wikitext[start + 2..];
        let end = rest.find("}}")?;
        let body = &rest[..end];
        let mut parts = body.split('|');
        let name = parts.next()?.trim();
        let name = strip_prefix_ignore_case(name, "template:").unwrap_or(name).trim();
        let nobots = if name.eq_ignore_ascii_case("nobots") {
            true
        } else if name.eq_ignore_ascii_case("bots") {
            false
        } else {
            return None;
        };
        let params = parts.filter_map(|part| part.split_once('=')).collect();
        Some(ExclusionTemplate { nobots, params })
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// User names compare with `_` as a space and the first letter in upper case.
fn normalise_name(name: &str) -> String {
    let name = name.trim().replace('_', " ");
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusion_rules() {
        let cases = [
            ("plain text", true),
            ("{{nobots}}", false),
            ("{{ Nobots }}", false),
            ("{{Template:Nobots}}", false),
            ("{{bots}}", true),
            ("{{bots|deny=all}}", false),
            ("{{bots|deny=none}}", true),
            ("{{bots|deny=OtherBot,PheBot}}", false),
            ("{{bots|deny=OtherBot}}", true),
            ("{{bots|deny=pheBot}}", false),
            ("{{bots|allow=all}}", true),
            ("{{bots|allow=none}}", false),
            ("{{bots|allow=OtherBot}}", false),
            ("{{bots|allow=OtherBot, PheBot}}", true),
            ("{{nobots|allow=PheBot}}", true),
            ("{{nobots|deny=OtherBot}}", true),
            ("{{bots|optout=all}}", true),
            ("{{bots|allow=PheBot}} {{nobots}}", false),
            ("{{robots}}", true),
            ("{{nobotsx}}", true),
        ];
        for (wikitext, expected) in cases {
            assert_eq!(bots_allowed(wikitext, "PheBot"), expected, "{wikitext}");
        }
    }

    #[test]
    fn underscores_match_spaces() {
        assert!(!bots_allowed("{{bots|deny=Phe_Bot}}", "Phe Bot"));
    }
}
