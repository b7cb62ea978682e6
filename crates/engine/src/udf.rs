//! Scalar UDFs that put geolocation into SQL: `ip_country(ip)`,
//! `ip_asn(ip)`, `ip_asn_org(ip)`, `ip_is_reserved(ip)` and
//! `ip_is_internal(ip)` (in the defended constituency), and
//! `ip_in_network(ip, cidr)`; the phishing scorer, `phish_score(url)` and
//! `phish_brand(name)` (from `borderscope_phish::udf`); and the aggregates
//! of the detectors. Every function is registered here, from one place, so
//! a distributed scheduler and executor can register the same set.
//!
//! They take addresses as text (the store's representation) in any of
//! DataFusion's string encodings, and answer NULL for text that is not an
//! address and for private or reserved ranges: "none", never a guess.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use borderscope_geo::{Constituency, GeoDb};
use borderscope_phish::{Registry, Scorer};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    AggregateUDF, ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum IpFnKind {
    Country,
    Asn,
    AsnOrg,
    Reserved,
    Internal,
}

impl IpFnKind {
    fn name(self) -> &'static str {
        match self {
            IpFnKind::Country => "ip_country",
            IpFnKind::Asn => "ip_asn",
            IpFnKind::AsnOrg => "ip_asn_org",
            IpFnKind::Reserved => "ip_is_reserved",
            IpFnKind::Internal => "ip_is_internal",
        }
    }

    fn return_type(self) -> DataType {
        match self {
            IpFnKind::Country | IpFnKind::AsnOrg => DataType::Utf8,
            IpFnKind::Asn => DataType::Int64,
            IpFnKind::Reserved | IpFnKind::Internal => DataType::Boolean,
        }
    }
}

/// One geolocation function over a shared database.
#[derive(Debug)]
struct IpFn {
    kind: IpFnKind,
    geo: Arc<GeoDb>,
    constituency: Arc<Constituency>,
    signature: Signature,
}

impl PartialEq for IpFn {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && Arc::ptr_eq(&self.geo, &other.geo)
            && Arc::ptr_eq(&self.constituency, &other.constituency)
    }
}

impl Eq for IpFn {}

impl Hash for IpFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl IpFn {
    fn new(kind: IpFnKind, geo: Arc<GeoDb>, constituency: Arc<Constituency>) -> Self {
        let strings = [DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8];
        IpFn {
            kind,
            geo,
            constituency,
            signature: Signature::one_of(
                strings
                    .into_iter()
                    .map(|t| TypeSignature::Exact(vec![t]))
                    .collect(),
                Volatility::Immutable,
            ),
        }
    }

    fn eval(&self, ips: &StringArray) -> ArrayRef {
        let parse = |i: usize| -> Option<IpAddr> {
            if ips.is_null(i) {
                None
            } else {
                ips.value(i).parse().ok()
            }
        };
        let n = ips.len();
        match self.kind {
            IpFnKind::Country => Arc::new(StringArray::from_iter((0..n).map(|i| {
                parse(i)
                    .and_then(|ip| self.geo.country(ip))
                    .map(|c| c.to_string())
            }))),
            IpFnKind::Asn => Arc::new(Int64Array::from_iter((0..n).map(|i| {
                parse(i)
                    .and_then(|ip| self.geo.asn_number(ip))
                    .map(i64::from)
            }))),
            IpFnKind::AsnOrg => {
                Arc::new(StringArray::from_iter((0..n).map(|i| {
                    parse(i).and_then(|ip| self.geo.asn(ip)).and_then(|a| a.org)
                })))
            }
            IpFnKind::Reserved => Arc::new(BooleanArray::from_iter(
                (0..n).map(|i| parse(i).map(borderscope_geo::is_reserved)),
            )),
            IpFnKind::Internal => {
                Arc::new(BooleanArray::from_iter((0..n).map(|i| {
                    parse(i).map(|ip| self.constituency.contains(ip, &self.geo))
                })))
            }
        }
    }
}

impl ScalarUDFImpl for IpFn {
    fn name(&self) -> &str {
        self.kind.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.kind.return_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("{} takes one argument, an IP address", self.name());
        };
        match arg {
            ColumnarValue::Array(a) => {
                let text = cast(a, &DataType::Utf8)?;
                let Some(ips) = text.as_any().downcast_ref::<StringArray>() else {
                    return exec_err!("{}: argument is not text", self.name());
                };
                Ok(ColumnarValue::Array(self.eval(ips)))
            }
            ColumnarValue::Scalar(s) => {
                let text = match s {
                    ScalarValue::Utf8(v) | ScalarValue::Utf8View(v) | ScalarValue::LargeUtf8(v) => {
                        v.clone()
                    }
                    other => return exec_err!("{}: argument {other} is not text", self.name()),
                };
                let out = self.eval(&StringArray::from(vec![text]));
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
            }
        }
    }
}

/// `ip_in_network(ip, cidr)`: whether an address lies in a network, both as
/// text; NULL when either does not parse. Intel feeds list networks as well
/// as addresses, and flows must be matched against both.
#[derive(Debug, PartialEq, Eq, Hash)]
struct InNetwork {
    signature: Signature,
}

impl InNetwork {
    fn new() -> Self {
        InNetwork {
            signature: Signature::one_of(vec![TypeSignature::String(2)], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for InNetwork {
    fn name(&self) -> &str {
        "ip_in_network"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [ips, nets] = arrays.as_slice() else {
            return exec_err!("ip_in_network takes two arguments, an address and a network");
        };
        let (ips, nets) = (cast(ips, &DataType::Utf8)?, cast(nets, &DataType::Utf8)?);
        let (Some(ips), Some(nets)) = (
            ips.as_any().downcast_ref::<StringArray>(),
            nets.as_any().downcast_ref::<StringArray>(),
        ) else {
            return exec_err!("ip_in_network: arguments are not text");
        };
        let out = BooleanArray::from_iter((0..ips.len()).map(|i| {
            if ips.is_null(i) || nets.is_null(i) {
                return None;
            }
            let ip: IpAddr = ips.value(i).parse().ok()?;
            let net: ipnet::IpNet = nets.value(i).parse().ok()?;
            Some(net.contains(&ip))
        }));
        let scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(Arc::new(out))
        })
    }
}

/// What the functions answer from: geolocation, the defended
/// constituency, and the phishing scorer with its brand registry.
#[derive(Clone)]
pub struct FunctionContext {
    pub geo: Arc<GeoDb>,
    pub constituency: Arc<Constituency>,
    pub phish: Arc<Scorer>,
}

impl FunctionContext {
    /// Geolocation with the default constituency (private and reserved
    /// ranges) and the built-in brand registry.
    pub fn new(geo: Arc<GeoDb>) -> Self {
        FunctionContext {
            geo,
            constituency: Arc::new(Constituency::default()),
            phish: Arc::new(Scorer::new(Registry::builtin())),
        }
    }

    /// The same, scoring phishing against `registry`.
    pub fn with_brands(mut self, registry: Registry) -> Self {
        self.phish = Arc::new(Scorer::new(registry));
        self
    }
}

impl FunctionContext {
    /// What the functions answer from, in words: the `.mmdb` files (type
    /// and file name), whether the built-in registry data follows, and the
    /// constituency. Two processes whose descriptions are equal give the
    /// same geolocation answers; a cluster compares them so that a
    /// scheduler or an executor started with other `--mmdb`/`--country`/
    /// `--internal` options fails a query instead of answering it
    /// differently. The brand registry is not part of it: plans carry it.
    pub fn describe(&self) -> String {
        let mmdbs: Vec<String> = self
            .geo
            .mmdb_sources()
            .iter()
            .map(|m| {
                let name = m
                    .path()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("{} ({name})", m.database_type())
            })
            .collect();
        let c = &self.constituency;
        let mut networks: Vec<String> = c.networks.iter().map(|n| n.to_string()).collect();
        networks.sort();
        networks.dedup();
        let mut domains = c.domains.clone();
        domains.sort();
        domains.dedup();
        let mut sources = mmdbs;
        if self.geo.has_builtin() {
            sources.push("built-in registry data".into());
        }
        format!(
            "geolocation [{}]; constituency: country {}, reserved ranges {}, networks [{}], domains [{}]",
            sources.join(", "),
            c.country.map(|cc| cc.as_str().to_string()).unwrap_or_else(|| "none".into()),
            if c.reserved { "internal" } else { "external" },
            networks.join(" "),
            domains.join(" "),
        )
    }
}

/// Names of the functions whose answers depend on the [`FunctionContext`]'s
/// geolocation or constituency.
pub fn stateful_function_names() -> [&'static str; 4] {
    [
        IpFnKind::Country.name(),
        IpFnKind::Asn.name(),
        IpFnKind::AsnOrg.name(),
        IpFnKind::Internal.name(),
    ]
}

/// Every borderscope scalar function.
pub fn scalar_udfs(f: &FunctionContext) -> Vec<ScalarUDF> {
    [
        IpFnKind::Country,
        IpFnKind::Asn,
        IpFnKind::AsnOrg,
        IpFnKind::Reserved,
        IpFnKind::Internal,
    ]
    .into_iter()
    .map(|k| ScalarUDF::from(IpFn::new(k, f.geo.clone(), f.constituency.clone())))
    .chain([ScalarUDF::from(InNetwork::new())])
    .chain(borderscope_phish::udf::scalar_udfs(f.phish.clone()))
    .collect()
}

/// Every borderscope aggregate function.
pub fn aggregate_udfs() -> Vec<AggregateUDF> {
    vec![borderscope_detect::c2::beacon::beacon_udaf()]
}

/// Registers every borderscope function in a function registry: a
/// `SessionState` (the embedded engine, the cluster client, the Ballista
/// scheduler's sessions) or the registry a Ballista executor decodes plans
/// with. This is the one list of borderscope's SQL functions; every place
/// that runs plans registers from here, so no process can lack one.
pub fn register_functions(
    registry: &mut dyn FunctionRegistry,
    f: &FunctionContext,
) -> datafusion::common::Result<()> {
    for u in scalar_udfs(f) {
        registry.register_udf(Arc::new(u))?;
    }
    for u in aggregate_udfs() {
        registry.register_udaf(Arc::new(u))?;
    }
    Ok(())
}

/// Registers every borderscope function in a session.
pub fn register_udfs(ctx: &SessionContext, f: &FunctionContext) -> datafusion::common::Result<()> {
    let state = ctx.state_ref();
    let mut state = state.write();
    register_functions(&mut *state, f)
}
