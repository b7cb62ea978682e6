//! The phishing scorer in SQL: `phish_score(url_or_host)` and
//! `phish_brand(name)`. Both answer from the same [`Scorer`] (and so the
//! same brand registry) that `borderscope score url` uses; the engine
//! registers them with its other functions, so a Ballista scheduler and
//! executor built from the same registration get them too.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Builder, ListBuilder, StringArray, StringBuilder,
    StructArray,
};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use crate::score::{Scorer, Verdict};

/// The fields of `phish_score`'s answer.
pub fn verdict_fields() -> Fields {
    Fields::from(vec![
        Field::new("score", DataType::Float64, true),
        Field::new("phishing", DataType::Boolean, true),
        Field::new("brand", DataType::Utf8, true),
        Field::new("country", DataType::Utf8, true),
        Field::new(
            "reasons",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("host", DataType::Utf8, true),
        Field::new("registered_domain", DataType::Utf8, true),
        Field::new("legitimate", DataType::Boolean, true),
    ])
}

/// The fields of `phish_brand`'s answer.
pub fn brand_fields() -> Fields {
    Fields::from(vec![
        Field::new("brand", DataType::Utf8, true),
        Field::new("country", DataType::Utf8, true),
    ])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `phish_score(text)`: the verdict on a URL or host name.
    Score,
    /// `phish_brand(name)`: the registry brand a name or alias (a feed's
    /// `target`) refers to, with its country.
    Brand,
}

#[derive(Debug)]
struct PhishFn {
    kind: Kind,
    scorer: Arc<Scorer>,
    signature: Signature,
}

// Two instances are the same function when they share the scorer: a
// different registry is a different function.
impl PartialEq for PhishFn {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && Arc::ptr_eq(&self.scorer, &other.scorer)
    }
}

impl Eq for PhishFn {}

impl Hash for PhishFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.kind.hash(state);
    }
}

impl PhishFn {
    fn new(kind: Kind, scorer: Arc<Scorer>) -> Self {
        let strings = [DataType::Utf8, DataType::Utf8View, DataType::LargeUtf8];
        PhishFn {
            kind,
            scorer,
            signature: Signature::one_of(
                strings
                    .into_iter()
                    .map(|t| TypeSignature::Exact(vec![t]))
                    .collect(),
                Volatility::Immutable,
            ),
        }
    }

    fn eval(&self, input: &StringArray) -> Result<ArrayRef> {
        match self.kind {
            Kind::Score => Ok(Arc::new(self.verdicts(input)?)),
            Kind::Brand => Ok(Arc::new(self.brands(input)?)),
        }
    }

    fn verdicts(&self, input: &StringArray) -> Result<StructArray> {
        let mut score = Float64Builder::new();
        let mut phishing = BooleanBuilder::new();
        let mut brand = StringBuilder::new();
        let mut country = StringBuilder::new();
        let mut reasons = ListBuilder::new(StringBuilder::new());
        let mut host = StringBuilder::new();
        let mut registered = StringBuilder::new();
        let mut legitimate = BooleanBuilder::new();
        for i in 0..input.len() {
            if input.is_null(i) {
                score.append_null();
                phishing.append_null();
                brand.append_null();
                country.append_null();
                reasons.append_null();
                host.append_null();
                registered.append_null();
                legitimate.append_null();
                continue;
            }
            let v: Verdict = self.scorer.score(input.value(i));
            score.append_value(v.score);
            phishing.append_value(v.phishing);
            brand.append_option(v.brand.as_deref());
            country.append_option(v.country.as_deref());
            for r in &v.reasons {
                reasons.values().append_value(r);
            }
            reasons.append(true);
            host.append_option(v.host.as_deref());
            registered.append_option(v.registered_domain.as_deref());
            legitimate.append_value(v.legitimate);
        }
        let children: Vec<ArrayRef> = vec![
            Arc::new(score.finish()),
            Arc::new(phishing.finish()),
            Arc::new(brand.finish()),
            Arc::new(country.finish()),
            Arc::new(reasons.finish()),
            Arc::new(host.finish()),
            Arc::new(registered.finish()),
            Arc::new(legitimate.finish()),
        ];
        Ok(StructArray::try_new(
            verdict_fields(),
            children,
            input.nulls().cloned(),
        )?)
    }

    fn brands(&self, input: &StringArray) -> Result<StructArray> {
        let registry = self.scorer.registry();
        let mut brand = StringBuilder::new();
        let mut country = StringBuilder::new();
        for i in 0..input.len() {
            let found = (!input.is_null(i))
                .then(|| registry.by_name(input.value(i)))
                .flatten()
                .map(|id| registry.get(id));
            brand.append_option(found.map(|b| b.name.as_str()));
            country.append_option(found.map(|b| b.country.as_str()));
        }
        let nulls: Option<NullBuffer> = input.nulls().cloned();
        Ok(StructArray::try_new(
            brand_fields(),
            vec![Arc::new(brand.finish()), Arc::new(country.finish())],
            nulls,
        )?)
    }
}

impl ScalarUDFImpl for PhishFn {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Score => "phish_score",
            Kind::Brand => "phish_brand",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(match self.kind {
            Kind::Score => verdict_fields(),
            Kind::Brand => brand_fields(),
        }))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("{} takes one argument", self.name());
        };
        match arg {
            ColumnarValue::Array(a) => {
                let text = cast(a, &DataType::Utf8)?;
                let Some(text) = text.as_any().downcast_ref::<StringArray>() else {
                    return exec_err!("{}: argument is not text", self.name());
                };
                Ok(ColumnarValue::Array(self.eval(text)?))
            }
            ColumnarValue::Scalar(s) => {
                let text = match s {
                    ScalarValue::Utf8(v) | ScalarValue::Utf8View(v) | ScalarValue::LargeUtf8(v) => {
                        v.clone()
                    }
                    ScalarValue::Null => None,
                    other => return exec_err!("{}: argument {other} is not text", self.name()),
                };
                let out = self.eval(&StringArray::from(vec![text]))?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
            }
        }
    }
}

/// The phishing functions over `scorer`.
pub fn scalar_udfs(scorer: Arc<Scorer>) -> Vec<ScalarUDF> {
    [Kind::Score, Kind::Brand]
        .into_iter()
        .map(|k| ScalarUDF::from(PhishFn::new(k, scorer.clone())))
        .collect()
}

/// The scorer `udf` answers from, when it is one of [`scalar_udfs`]: a
/// plan written for another process names the registry of the function it
/// calls, not of the process writing it.
pub fn scorer_of(udf: &ScalarUDF) -> Option<Arc<Scorer>> {
    udf.inner()
        .downcast_ref::<PhishFn>()
        .map(|f| f.scorer.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use datafusion::arrow::array::{BooleanArray, Float64Array, ListArray};
    use datafusion::arrow::datatypes::Field as ArrowField;
    use datafusion::config::ConfigOptions;

    fn call(name: &str, values: Vec<Option<&str>>) -> StructArray {
        let scorer = Arc::new(Scorer::new(Registry::builtin()));
        let udf = scalar_udfs(scorer)
            .into_iter()
            .find(|u| u.name() == name)
            .unwrap();
        let n = values.len();
        let args = ScalarFunctionArgs {
            args: vec![ColumnarValue::Array(Arc::new(StringArray::from(values)))],
            arg_fields: vec![Arc::new(ArrowField::new("a", DataType::Utf8, true))],
            number_rows: n,
            return_field: Arc::new(ArrowField::new(
                "r",
                udf.return_type(&[DataType::Utf8]).unwrap(),
                true,
            )),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = udf.invoke_with_args(args).unwrap() else {
            panic!("an array in, an array out")
        };
        out.as_any().downcast_ref::<StructArray>().unwrap().clone()
    }

    #[test]
    fn phish_score_is_the_scorers_verdict() {
        let inputs = vec![
            Some("http://paypal-account-verify.com/"),
            Some("www.paypal.com"),
            None,
            Some("http://exa mple.com/"),
        ];
        let out = call("phish_score", inputs.clone());
        let scorer = Scorer::new(Registry::builtin());
        let score = out
            .column_by_name("score")
            .unwrap()
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        let legit = out
            .column_by_name("legitimate")
            .unwrap()
            .as_any()
            .downcast_ref::<BooleanArray>()
            .unwrap();
        let reasons = out
            .column_by_name("reasons")
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        for (i, input) in inputs.iter().enumerate() {
            match input {
                None => assert!(out.is_null(i)),
                Some(text) => {
                    let v = scorer.score(text);
                    assert_eq!(score.value(i), v.score, "{text}");
                    assert_eq!(legit.value(i), v.legitimate, "{text}");
                    assert_eq!(reasons.value(i).len(), v.reasons.len(), "{text}");
                }
            }
        }
        assert!(legit.value(1));
        let host = out.column_by_name("host").unwrap();
        let host = host.as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(host.value(0), "paypal-account-verify.com");
        assert!(host.is_null(3), "an input that is no URL has no host");
    }

    #[test]
    fn phish_brand_maps_feed_names_to_registry_brands() {
        let out = call("phish_brand", vec![Some("AT&amp;T"), Some("Other"), None]);
        let brand = out.column_by_name("brand").unwrap();
        let brand = brand.as_any().downcast_ref::<StringArray>().unwrap();
        assert!(brand.value(0).contains("AT"));
        assert!(brand.is_null(1));
        assert!(out.is_null(2));
    }
}
