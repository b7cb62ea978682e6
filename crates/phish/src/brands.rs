//! The protected brands: the websites a CERT defends, each with the country
//! it belongs to and the registrable domains that are really its own.
//!
//! The registry is a TOML file (format in `data/brands.toml`, the built-in
//! default). A user file extends the built-in registry; a brand of the same
//! name replaces the built-in one, so a CERT can correct or narrow an entry.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// The built-in registry, compiled in so `score url` works with no files.
pub const BUILTIN_TOML: &str = include_str!("../data/brands.toml");

/// One protected brand.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    pub name: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    /// Registrable domains (and brand TLDs) the brand owns.
    pub domains: Vec<String>,
    /// Distinctive strings, matched anywhere and as lookalikes.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Names that are also ordinary words: matched only as whole tokens.
    #[serde(default)]
    pub words: Vec<String>,
    /// Other names feeds use for the brand (PhishTank `target`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Hosts under the brand's domains where anyone can publish (sites,
    /// storage, forms): pages there are scored like any foreign host.
    #[serde(default)]
    pub hosting: Vec<String>,
    /// A saved copy of the brand's real login page, relative to the file.
    #[serde(default)]
    pub page: Option<PathBuf>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    brand: Vec<Brand>,
}

/// Index of a brand in its [`Registry`].
pub type BrandId = usize;

/// The brands, with look-ups by owned domain and by feed name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    brands: Vec<Brand>,
    /// Owned domain -> brand.
    owned: HashMap<String, BrandId>,
    /// User-content host -> brand.
    hosting: HashMap<String, BrandId>,
    /// Normalised name or alias -> brand.
    by_name: HashMap<String, BrandId>,
}

impl Registry {
    /// The built-in registry.
    pub fn builtin() -> Registry {
        // The embedded file is checked by a unit test; failing here would be a
        // build defect, not an input error.
        Registry::parse(BUILTIN_TOML, Path::new("."))
            .expect("the built-in brand registry is valid (tested)")
    }

    /// The built-in registry extended (and overridden by name) by `file`.
    pub fn builtin_with(file: Option<&Path>) -> Result<Registry> {
        let mut registry = Registry::builtin();
        if let Some(path) = file {
            registry.extend(Registry::from_file(path)?);
        }
        Ok(registry)
    }

    pub fn from_file(path: &Path) -> Result<Registry> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading brand registry {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Registry::parse(&text, base).with_context(|| format!("brand registry {}", path.display()))
    }

    /// Parses registry TOML; `base` resolves relative `page` paths.
    pub fn parse(text: &str, base: &Path) -> Result<Registry> {
        let file: RegistryFile = toml::from_str(text).context("not a brand registry")?;
        let mut registry = Registry::default();
        for mut brand in file.brand {
            normalise(&mut brand).with_context(|| format!("brand `{}`", brand.name))?;
            if let Some(page) = brand.page.take() {
                brand.page = Some(base.join(page));
            }
            registry.insert(brand);
        }
        Ok(registry)
    }

    /// The whole registry as JSON, for a process that must score with
    /// exactly these brands (a cluster executor): [`Registry::from_json`]
    /// gives it back. Page paths travel as they are; one that is not UTF-8
    /// is an error.
    pub fn to_json(&self) -> Result<String> {
        let file = RegistryFile {
            brand: self.brands.clone(),
        };
        serde_json::to_string(&file).context("the brand registry cannot be written as JSON")
    }

    /// The registry [`Registry::to_json`] wrote, checked like a file.
    pub fn from_json(text: &str) -> Result<Registry> {
        let file: RegistryFile = serde_json::from_str(text).context("not a brand registry")?;
        let mut registry = Registry::default();
        for mut brand in file.brand {
            normalise(&mut brand).with_context(|| format!("brand `{}`", brand.name))?;
            registry.insert(brand);
        }
        Ok(registry)
    }

    /// Adds `other`'s brands, replacing any with the same name.
    pub fn extend(&mut self, other: Registry) {
        for brand in other.brands {
            self.insert(brand);
        }
    }

    fn insert(&mut self, brand: Brand) {
        let key = name_key(&brand.name);
        match self.by_name.get(&key).copied() {
            Some(id) if name_key(&self.brands[id].name) == key => {
                self.brands[id] = brand;
                self.reindex();
            }
            _ => {
                self.brands.push(brand);
                self.index(self.brands.len() - 1);
            }
        }
    }

    fn reindex(&mut self) {
        self.owned.clear();
        self.hosting.clear();
        self.by_name.clear();
        for id in 0..self.brands.len() {
            self.index(id);
        }
    }

    /// Later brands win a shared domain or alias, so a user file can claim them.
    fn index(&mut self, id: BrandId) {
        let brand = &self.brands[id];
        for d in &brand.domains {
            self.owned.insert(d.clone(), id);
        }
        for h in &brand.hosting {
            self.hosting.insert(h.clone(), id);
        }
        for n in std::iter::once(&brand.name).chain(&brand.aliases) {
            self.by_name.insert(name_key(n), id);
        }
    }

    pub fn brands(&self) -> &[Brand] {
        &self.brands
    }

    pub fn get(&self, id: BrandId) -> &Brand {
        &self.brands[id]
    }

    pub fn len(&self) -> usize {
        self.brands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.brands.is_empty()
    }

    /// The brand a feed's name refers to (name or alias; case, accents of
    /// HTML entities and punctuation ignored).
    pub fn by_name(&self, name: &str) -> Option<BrandId> {
        self.by_name.get(&name_key(name)).copied()
    }

    /// The brand owning `host` (lower-case ASCII, no trailing dot): the host
    /// is one of its domains or a subdomain of one. Hosts on a brand's
    /// publishing platform (`hosting`) and user sites under a private public
    /// suffix (`x.blob.core.windows.net`) are not the brand's.
    pub fn owner(&self, host: &str) -> Option<BrandId> {
        if self.hosting_owner(host).is_some() {
            return None;
        }
        let registrable = psl::domain_str(host);
        let is_private =
            psl::suffix(host.as_bytes()).and_then(|s| s.typ()) == Some(psl::Type::Private);
        let mut rest = host;
        loop {
            if let Some(id) = self.owned.get(rest) {
                return Some(*id);
            }
            // Above the registrable domain of a user site is the platform.
            if is_private && Some(rest) == registrable {
                return None;
            }
            rest = rest.split_once('.')?.1;
        }
    }

    /// The brand whose publishing platform serves `host`.
    pub fn hosting_owner(&self, host: &str) -> Option<BrandId> {
        self.hosting_entry(host).map(|(id, _)| id)
    }

    /// The brand and the platform entry (`sharepoint.com`) serving `host`.
    pub fn hosting_entry<'h>(&self, host: &'h str) -> Option<(BrandId, &'h str)> {
        let mut rest = host;
        loop {
            if let Some(id) = self.hosting.get(rest) {
                return Some((*id, rest));
            }
            rest = rest.split_once('.')?.1;
        }
    }
}

/// Lower-case, trimmed domains and keywords; a country code of two letters.
fn normalise(brand: &mut Brand) -> Result<()> {
    if brand.name.trim().is_empty() {
        bail!("a brand needs a name");
    }
    let country = brand.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        bail!(
            "country `{}` is not an ISO 3166-1 alpha-2 code",
            brand.country
        );
    }
    brand.country = country;
    for d in &mut brand.domains {
        let lower = d.trim().trim_end_matches('.').to_lowercase();
        *d = crate::url::to_ascii_host(&lower)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("domain `{d}` is not a domain name"))?;
    }
    for h in &mut brand.hosting {
        *h = crate::url::to_ascii_host(h.trim())
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("hosting `{h}` is not a host name"))?;
    }
    for k in brand.keywords.iter_mut().chain(brand.words.iter_mut()) {
        *k = k.trim().to_lowercase();
        if k.chars().count() < 2 {
            bail!("keyword `{k}` is too short to match anything meaningful");
        }
    }
    if brand.domains.is_empty() {
        bail!("a brand needs at least one domain of its own");
    }
    Ok(())
}

/// A name compared without case, punctuation or HTML entities: PhishTank
/// writes `AT&amp;T`, others `AT&T` or `at and t`.
pub fn name_key(name: &str) -> String {
    let unescaped = name
        .replace("&amp;", "&")
        .replace("&#39;", "'")
        .replace("&quot;", "\"");
    unescaped
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registry_survives_json_with_its_overrides() {
        let user = r#"
            [[brand]]
            name = "PayPal"
            country = "us"
            domains = ["PayPal.com."]
            [[brand]]
            name = "Banco Ejemplo"
            country = "AR"
            domains = ["bancoejemplo.com.ar"]
            keywords = ["bancoejemplo"]
            aliases = ["Banco Ejemplo S.A."]
            page = "pages/bancoejemplo.html"
        "#;
        let mut r = Registry::builtin();
        r.extend(Registry::parse(user, Path::new("/etc/borderscope")).unwrap());
        let back = Registry::from_json(&r.to_json().unwrap()).unwrap();
        assert_eq!(format!("{:?}", back.brands()), format!("{:?}", r.brands()));
        let id = back.by_name("banco ejemplo s.a.").unwrap();
        assert_eq!(back.owner("www.bancoejemplo.com.ar"), Some(id));
        let paypal = back.get(back.by_name("PayPal").unwrap());
        assert_eq!(
            paypal.domains,
            ["paypal.com"],
            "the user's entry replaced the built-in one"
        );
        assert!(Registry::from_json("{\"brand\": [{\"name\": \"x\"}]}").is_err());
    }

    #[test]
    fn builtin_registry_parses_with_countries_and_domains() {
        let r = Registry::parse(BUILTIN_TOML, Path::new(".")).unwrap();
        assert!(r.len() >= 100, "only {} brands", r.len());
        let paypal = r.by_name("PayPal").unwrap();
        assert_eq!(r.get(paypal).country, "US");
        assert_eq!(r.owner("www.paypal.com"), Some(paypal));
        assert_eq!(r.owner("paypal.com.evil.example"), None);
        let google = r.by_name("Google");
        assert_eq!(r.owner("mail.google.com"), google);
        assert_eq!(r.owner("sites.google.com"), None, "a publishing platform");
        assert_eq!(r.hosting_owner("sites.google.com"), google);
        let ms = r.by_name("Microsoft");
        assert_eq!(r.owner("login.windows.net"), ms);
        assert_eq!(r.owner("evil.blob.core.windows.net"), None, "a user site");
        assert_eq!(r.by_name("AT&amp;T"), r.by_name("AT&T"));
        assert!(r.by_name("AT&T").is_some());
        let tax: Vec<_> = r
            .brands()
            .iter()
            .filter(|b| {
                b.domains
                    .iter()
                    .any(|d| d.contains(".gov") || d.contains(".gouv"))
            })
            .collect();
        assert!(tax.len() >= 5, "tax agencies: {}", tax.len());
    }

    #[test]
    fn user_file_overrides_by_name_and_adds_brands() {
        let mut r = Registry::builtin();
        let before = r.len();
        let user = Registry::parse(
            r#"
[[brand]]
name = "paypal"
country = "us"
domains = ["paypal.com"]
keywords = ["paypal"]

[[brand]]
name = "Example Bank"
country = "cn"
domains = ["example-bank.cn"]
keywords = ["examplebank"]
page = "pages/login.html"
"#,
            Path::new("/etc/borderscope"),
        )
        .unwrap();
        r.extend(user);
        assert_eq!(r.len(), before + 1);
        let paypal = r.get(r.by_name("PayPal").unwrap());
        assert_eq!(paypal.domains, vec!["paypal.com"]);
        let bank = r.get(r.by_name("example bank").unwrap());
        assert_eq!(bank.country, "CN");
        assert_eq!(
            bank.page.as_deref(),
            Some(Path::new("/etc/borderscope/pages/login.html"))
        );
        assert_eq!(r.owner("online.example-bank.cn"), r.by_name("Example Bank"));
    }

    #[test]
    fn bad_registries_are_errors_with_the_reason() {
        let cases = [
            (
                "[[brand]]\nname = \"A\"\ncountry = \"USA\"\ndomains = [\"a.com\"]",
                "alpha-2",
            ),
            (
                "[[brand]]\nname = \"A\"\ncountry = \"US\"\ndomains = []",
                "domain",
            ),
            (
                "[[brand]]\nname = \"A\"\ncountry = \"US\"\ndomains = [\"a b\"]",
                "not a domain",
            ),
            (
                "[[brand]]\nname = \"A\"\ncountry = \"US\"\ndomains = [\"a.com\"]\ncolour = 1",
                "colour",
            ),
            ("[[brand]\n", "not a brand registry"),
        ];
        for (text, want) in cases {
            let err = format!("{:#}", Registry::parse(text, Path::new(".")).unwrap_err());
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
