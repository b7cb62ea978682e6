//! borderscope's functions and tables as an analyst reaches them: through SQL.

use std::sync::Arc;

use borderscope_engine::{register_udfs, summary, Engine, FunctionContext};
use borderscope_geo::GeoDb;
use borderscope_store::Store;
use datafusion::arrow::array::{Array, BooleanArray, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::SessionContext;

fn ctx(geo: GeoDb) -> SessionContext {
    let ctx = SessionContext::new();
    register_udfs(&ctx, &FunctionContext::new(Arc::new(geo))).unwrap();
    ctx
}

async fn strings(ctx: &SessionContext, sql: &str) -> Vec<Option<String>> {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let mut out = Vec::new();
    for b in batches {
        let col = cast(b.column(0), &DataType::Utf8).unwrap();
        let col = col.as_any().downcast_ref::<StringArray>().unwrap();
        out.extend((0..col.len()).map(|i| (!col.is_null(i)).then(|| col.value(i).to_string())));
    }
    out
}

#[tokio::test]
async fn ip_country_answers_public_addresses_and_null_for_reserved_or_invalid() {
    let ctx = ctx(GeoDb::builtin());
    let got = strings(
        &ctx,
        "SELECT ip_country(ip) FROM (VALUES ('8.8.8.8'), ('10.0.0.1'), ('not an ip'), (NULL), ('::ffff:8.8.4.4'), ('2001:db8::1')) AS t(ip)",
    )
    .await;
    assert_eq!(
        got,
        vec![Some("US".into()), None, None, None, Some("US".into()), None]
    );
}

#[tokio::test]
async fn functions_accept_every_string_encoding_and_scalars() {
    let ctx = ctx(GeoDb::builtin());
    let got = strings(&ctx, "SELECT ip_country(arrow_cast('8.8.8.8', 'Utf8View'))").await;
    assert_eq!(got, vec![Some("US".into())]);
    let got = strings(
        &ctx,
        "SELECT ip_country(arrow_cast('8.8.8.8', 'LargeUtf8'))",
    )
    .await;
    assert_eq!(got, vec![Some("US".into())]);
    let b = ctx
        .sql("SELECT ip_is_reserved('192.168.1.1'), ip_is_reserved('1.1.1.1')")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let r0 = b[0]
        .column(0)
        .as_any()
        .downcast_ref::<BooleanArray>()
        .unwrap();
    let r1 = b[0]
        .column(1)
        .as_any()
        .downcast_ref::<BooleanArray>()
        .unwrap();
    assert!(r0.value(0) && !r1.value(0));
}

#[tokio::test]
async fn ip_asn_uses_an_mmdb_asn_database() {
    let Some(path) = borderscope_testdata::shared_data("geo/maxmind-test/GeoLite2-ASN-Test.mmdb")
    else {
        return;
    };
    let ctx = ctx(GeoDb::builtin().with_mmdb(path).unwrap());
    let b = ctx
        .sql("SELECT ip_asn('1.128.0.1') AS n, ip_asn_org('1.128.0.1') AS org, ip_asn('10.0.0.1') AS private")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let n = b[0]
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(n.value(0), 1221);
    let org = cast(b[0].column(1), &DataType::Utf8).unwrap();
    assert_eq!(
        org.as_any().downcast_ref::<StringArray>().unwrap().value(0),
        "Telstra Pty Ltd"
    );
    assert!(b[0].column(2).is_null(0));
}

#[tokio::test]
async fn an_engine_over_a_fresh_store_sees_every_table_and_summarises_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::create_or_open(dir.path()).await.unwrap();
    let engine = Engine::over(store, FunctionContext::new(Arc::new(GeoDb::builtin())))
        .await
        .unwrap();
    for t in [
        "flows",
        "dns",
        "http",
        "tls",
        "alerts",
        "weblog",
        "quarantine",
        "ingests",
    ] {
        let b = engine
            .sql(&format!("SELECT COUNT(*) FROM {t}"))
            .await
            .unwrap();
        let n = b[0]
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(n.value(0), 0, "{t}");
    }
    let sections = summary::summarize(&engine).await.unwrap();
    assert_eq!(sections.len(), summary::queries().len());
}

#[tokio::test]
async fn ip_is_internal_follows_the_constituency() {
    let ctx = SessionContext::new();
    let f = FunctionContext {
        constituency: Arc::new(
            borderscope_geo::Constituency::default()
                .with_networks(["198.51.100.0/24".parse().unwrap()]),
        ),
        ..FunctionContext::new(Arc::new(GeoDb::builtin()))
    };
    register_udfs(&ctx, &f).unwrap();
    let got = strings(
        &ctx,
        "SELECT CAST(ip_is_internal(ip) AS VARCHAR) FROM (VALUES ('10.0.0.1'), ('198.51.100.9'), ('8.8.8.8'), ('junk')) AS t(ip)",
    )
    .await;
    assert_eq!(
        got,
        vec![
            Some("true".into()),
            Some("true".into()),
            Some("false".into()),
            None
        ]
    );
}

#[tokio::test]
async fn phish_score_in_sql_is_the_registry_given_to_the_engine() {
    let sql = "SELECT concat(COALESCE(v['brand'], '-'), ' ', COALESCE(CAST(v['phishing'] AS VARCHAR), '-'), ' ', \
                      COALESCE(CAST(v['legitimate'] AS VARCHAR), '-'), ' ', COALESCE(v['registered_domain'], '-')) \
               FROM (SELECT phish_score(u) AS v FROM (VALUES ('http://paypal-account-verify.com/x'), \
                     ('www.paypal.com'), ('login.examplebank-secure.cn'), (NULL)) AS t(u)) s";
    let builtin = strings(&ctx(GeoDb::builtin()), sql).await;
    assert_eq!(
        builtin,
        vec![
            Some("PayPal true false paypal-account-verify.com".into()),
            Some("PayPal false true paypal.com".into()),
            Some("- false false examplebank-secure.cn".into()),
            Some("- - - -".into()),
        ]
    );
    let registry = borderscope_phish::Registry::parse(
        "[[brand]]\nname = \"Example Bank\"\ncountry = \"CN\"\ndomains = [\"examplebank.cn\"]\nkeywords = [\"examplebank\"]\n",
        std::path::Path::new("."),
    )
    .unwrap();
    let f = FunctionContext::new(Arc::new(GeoDb::builtin())).with_brands(registry);
    let ctx = SessionContext::new();
    register_udfs(&ctx, &f).unwrap();
    let got = strings(&ctx, sql).await;
    assert_eq!(
        got[2],
        Some("Example Bank true false examplebank-secure.cn".into())
    );
    let brand = strings(
        &ctx,
        "SELECT get_field(phish_brand(n), 'country') FROM (VALUES ('example bank'), ('Other')) AS t(n)",
    )
    .await;
    assert_eq!(brand, vec![Some("CN".into()), None]);
}
