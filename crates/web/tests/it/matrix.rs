//! The authorization matrix, generated from the route table: every route × every seeded role ×
//! (own record, same-group record, same-agency record, other agency's record), each request made
//! for real and its outcome compared with the rule the route declares. A route added to the table
//! without a sample request here fails the test; a handler that does not keep its route's rule
//! fails it too.

use std::collections::BTreeMap;

use haven_domain::access::{Permission, PermissionSet, ScopeLevel, seeded_roles};
use haven_domain::sensitivity::RecordKind;
use haven_domain::user::{Actor, User};
use haven_store::Agency;
use haven_testkit::TestApp;
use haven_web::routes::{Access, Route, table};
use reqwest::{Client, Method};
use serde_json::{Value, json};

/// Where a record stands relative to the acting user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Relation {
    Own,
    Group,
    Agency,
    Other,
}

const RELATIONS: [Relation; 4] = [
    Relation::Own,
    Relation::Group,
    Relation::Agency,
    Relation::Other,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Allowed,
    Forbidden,
    NotFound,
}

struct Records {
    case: String,
    request: String,
    consent: String,
}

/// An actor that may create anything, acting as `user`: records it makes are "own" to `user`.
fn owner(user: &User) -> Actor {
    Actor {
        user_id: user.id,
        agency_id: user.agency_id,
        role: "fixture".into(),
        permissions: PermissionSet::all(),
        scope: ScopeLevel::All,
        sees: haven_domain::access::FieldClassSet::all(),
    }
}

async fn records_of(app: &TestApp, user: &User) -> Records {
    let actor = owner(user);
    let case = app
        .store
        .create_case(
            &actor,
            haven_domain::case::doc_from_json(json!({"given_name": "Matrix", "sex": "female"}))
                .unwrap(),
        )
        .await
        .unwrap();
    let request = app
        .store
        .create_tracing_request(
            &actor,
            haven_domain::tracing_request::doc_from_json(json!({
                "inquirer": {"given_name": "Asker", "relation": "mother"},
                "child": {"given_name": "Matrix"},
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let consent = app
        .store
        .record_consent(
            &actor,
            case.id,
            serde_json::from_value(json!({"basis": "consent", "purposes": ["services"],
                "given_by": "caregiver", "given_by_name": "A. Caregiver"}))
            .unwrap(),
        )
        .await
        .unwrap();
    Records {
        case: case.id.to_string(),
        request: request.id.to_string(),
        consent: consent.record.id.to_string(),
    }
}

/// The request a route gets in the matrix: its path with ids filled in, and its body. `None`
/// for routes the matrix does not drive (sign-in and second factor, tested on their own).
fn sample(route: &Route, rec: &Records, ctx: &Fixture, role: &str) -> Option<(String, Value)> {
    let fill = |p: &str| {
        p.replace("{consent_id}", &rec.consent)
            .replace("{name}", "matrix_role")
    };
    let path = match (route.path, route.access) {
        (_, Access::Public | Access::Session) => return None,
        (p, Access::Record(RecordKind::Case, _) | Access::AnyRecord(RecordKind::Case, _)) => {
            fill(&p.replace("{id}", &rec.case))
        }
        (p, Access::Record(RecordKind::TracingRequest, _))
        | (p, Access::AnyRecord(RecordKind::TracingRequest, _)) => {
            fill(&p.replace("{id}", &rec.request))
        }
        (
            "/api/v1/users/{id}/disable" | "/api/v1/users/{id}/enable" | "/api/v1/users/{id}/role",
            _,
        ) => route.path.replace("{id}", &ctx.target_user),
        ("/api/v1/groups/{id}/members", _) => route.path.replace("{id}", &ctx.group),
        ("/api/v1/roles/{name}", _) => fill(route.path),
        ("/api/v1/tokens/{id}", _) => route.path.replace("{id}", &ctx.tokens_to_revoke[role]),
        ("/api/v1/reports/{area}", _) => "/api/v1/reports/1?from=2026-01-01&by=sex".into(),
        ("/api/v1/pledges/{id}", _) => route.path.replace("{id}", &ctx.pledge),
        // Items of a case (referrals, transfers, flags) that do not exist: with the permission
        // the answer is 404, without it 403 (see `expected`).
        (p, _) if ITEM_ROUTES.contains(&p) => p.replace("{id}", &uuid::Uuid::new_v4().to_string()),
        (p, _) if p.contains('{') => panic!("declare a sample request for {p} in matrix.rs"),
        (p, _) => p.to_string(),
    };
    let body = match (route.method.as_str(), route.path) {
        ("GET" | "DELETE", _) => Value::Null,
        ("PATCH", "/api/v1/cases/{id}") => json!({"risk_level": "high"}),
        ("PATCH", "/api/v1/tracing-requests/{id}") => {
            json!({"separation": {"circumstances": ["flight"]}})
        }
        ("POST", "/api/v1/cases") => json!({"given_name": "New", "sex": "male"}),
        ("POST", "/api/v1/tracing-requests") => json!({
            "inquirer": {"given_name": "Asker", "relation": "father"},
            "child": {"given_name": "New"},
        }),
        (
            "POST",
            "/api/v1/cases/{id}/break-glass" | "/api/v1/tracing-requests/{id}/break-glass",
        ) => {
            json!({"reason": "Urgent safeguarding concern reported by the police"})
        }
        ("POST", "/api/v1/cases/{id}/consents") => json!({"basis": "vital_interest",
            "purposes": ["tracing"], "notes": "The child is missing and at risk"}),
        ("POST", "/api/v1/cases/{id}/consents/{consent_id}/withdraw") => json!({}),
        ("POST", "/api/v1/users") => json!({"email": format!("new-{role}@a.example"),
            "display_name": "New", "role": "caseworker", "password": "matrix password one"}),
        ("POST", "/api/v1/users/{id}/disable" | "/api/v1/users/{id}/enable") => json!({}),
        ("PUT", "/api/v1/users/{id}/role") => json!({"role": "caseworker"}),
        ("PUT", "/api/v1/roles/{name}") => {
            json!({"permissions": ["case.read"], "scope": "own", "sees": []})
        }
        ("POST", "/api/v1/groups") => json!({"name": format!("Group of {role}")}),
        ("PUT", "/api/v1/groups/{id}/members") => json!({"members": ctx.group_members}),
        ("POST", "/api/v1/agencies") => {
            json!({"code": format!("M{}", role.len()), "name": "Matrix agency"})
        }
        ("POST", "/api/v1/tokens") => json!({"name": "matrix"}),
        ("POST", "/api/v1/cases/{id}/workflow") => {
            json!({"action": "start_assessment", "kind": "short"})
        }
        ("POST", "/api/v1/cases/{id}/placements") => {
            json!({"type": "foster", "start_date": "2026-01-05"})
        }
        ("POST", "/api/v1/cases/{id}/assignment") => json!({"user_id": ctx.assignee}),
        ("POST", "/api/v1/cases/{id}/referrals") => json!({"service": "legal_aid"}),
        ("POST", "/api/v1/cases/{id}/flags") => json!({"reason": "age_dispute"}),
        ("POST", "/api/v1/cases/{id}/notes") => json!({"text": "Matrix note"}),
        ("POST", "/api/v1/cases/{id}/transfers") => {
            json!({"to_agency_id": ctx.other_agency, "reason": "moved"})
        }
        ("POST", "/api/v1/referrals/{id}/actions" | "/api/v1/transfers/{id}/actions") => {
            json!({"action": "accept"})
        }
        ("POST", "/api/v1/flags/{id}/resolve") => json!({"resolution": "checked"}),
        ("POST", "/api/v1/matches/{id}/decision") => json!({"decision": "confirm"}),
        ("POST", "/api/v1/cases/duplicates") => json!({"given_name": "New", "sex": "male"}),
        ("POST", "/api/v1/incidents") => {
            json!({"category": "violence", "types": ["violence.physical"],
            "case_ids": [rec.case], "date": "2026-11-01"})
        }
        ("POST", "/api/v1/pledges") => json!({"party": "partner", "name": format!("Matrix {role}"),
            "area": 2, "indicator": "det_in_immigration_detention", "baseline": 3.0,
            "target": 0.0, "baseline_date": "2026-01-01", "due_date": "2027-01-01"}),
        ("PATCH", "/api/v1/pledges/{id}") => json!({"notes": format!("checked by {role}")}),
        (m, p) => panic!("declare a sample request body for {m} {p} in matrix.rs"),
    };
    Some((path, body))
}

/// Routes naming a case item by id; the matrix names one that does not exist.
const ITEM_ROUTES: &[&str] = &[
    "/api/v1/referrals/{id}/actions",
    "/api/v1/transfers/{id}/actions",
    "/api/v1/flags/{id}/resolve",
    "/api/v1/matches/{id}",
    "/api/v1/matches/{id}/decision",
];

/// What the route's rule says `role` gets for a record standing in `relation` to them.
fn expected(route: &Route, role: &haven_domain::access::RoleSpec, relation: Relation) -> Outcome {
    let access = route.access;
    let has = |p: Permission| role.permissions.contains(p);
    if let Access::Permission(p) = access
        && ITEM_ROUTES.contains(&route.path)
    {
        return if has(p) {
            Outcome::NotFound
        } else {
            Outcome::Forbidden
        };
    }
    let reaches = match role.scope {
        ScopeLevel::Own => relation == Relation::Own,
        ScopeLevel::Group => relation <= Relation::Group,
        ScopeLevel::Agency => relation <= Relation::Agency,
        ScopeLevel::All => true,
    };
    match access {
        Access::Public | Access::Session | Access::SignedIn => Outcome::Allowed,
        Access::Permission(p) | Access::AnyRecord(_, p) => {
            if has(p) {
                Outcome::Allowed
            } else {
                Outcome::Forbidden
            }
        }
        Access::Record(_, p) if !has(p) => Outcome::Forbidden,
        Access::Record(..) if reaches => Outcome::Allowed,
        Access::Record(..) => Outcome::NotFound,
    }
}

struct Fixture {
    target_user: String,
    assignee: String,
    other_agency: String,
    group: String,
    group_members: Vec<String>,
    tokens_to_revoke: BTreeMap<String, String>,
    pledge: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_keeps_its_rule_for_every_role_and_record() {
    let app = TestApp::sqlite().await;
    let store = &app.store;
    let agency: Agency = store.create_agency(None, "A", "Agency A").await.unwrap();
    let other: Agency = store.create_agency(None, "B", "Agency B").await.unwrap();
    let roles = seeded_roles();
    let mut users = BTreeMap::new();
    for role in &roles {
        let user = app
            .user(&agency, &format!("{}@a.example", role.name), &role.name)
            .await;
        users.insert(role.name.clone(), user);
    }
    let teammate = app.user(&agency, "teammate@a.example", "caseworker").await;
    let colleague = app.user(&agency, "colleague@a.example", "caseworker").await;
    let stranger = app.user(&other, "stranger@b.example", "caseworker").await;
    let target = app.user(&agency, "target@a.example", "caseworker").await;
    let group = store
        .create_group(None, agency.id, "Everyone's team")
        .await
        .unwrap();
    let mut members: Vec<_> = users.values().map(|u| u.id).collect();
    members.push(teammate.id);
    store
        .set_group_members(None, group.id, &members)
        .await
        .unwrap();

    let client = Client::new();
    let mut tokens = BTreeMap::new();
    let mut to_revoke = BTreeMap::new();
    for (name, user) in &users {
        tokens.insert(name.clone(), app.token(user).await);
        // A second token of the user's own, for the revoke route.
        let spare = store
            .create_token(
                None,
                haven_store::NewToken {
                    user_id: user.id,
                    name: "spare".into(),
                    token_digest: format!("spare-{name}"),
                    expires_at: None,
                    permissions: None,
                },
            )
            .await
            .unwrap();
        to_revoke.insert(name.clone(), spare.id.to_string());
    }
    let pledge = store
        .create_pledge(
            &owner(&target),
            serde_json::from_value(json!({"party": "government", "name": "Ministry",
                "area": 2, "indicator": "det_in_immigration_detention", "baseline": 10.0,
                "target": 0.0, "baseline_date": "2026-01-01", "due_date": "2027-01-01"}))
            .unwrap(),
        )
        .await
        .unwrap();
    let fixture = Fixture {
        pledge: pledge.id.to_string(),
        target_user: target.id.to_string(),
        assignee: teammate.id.to_string(),
        other_agency: other.id.to_string(),
        group: group.id.to_string(),
        group_members: members.iter().map(|m| m.to_string()).collect(),
        tokens_to_revoke: to_revoke,
    };

    let mut checks = 0;
    let mut unexpected = Vec::new();
    let routes = table();
    let mut driven = 0;
    for (route, _) in &routes {
        let record_route = matches!(route.access, Access::Record(..) | Access::AnyRecord(..));
        let mut route_driven = false;
        for role in &roles {
            let acting = &users[&role.name];
            let relations: &[Relation] = if record_route {
                &RELATIONS
            } else {
                &RELATIONS[..1]
            };
            for &relation in relations {
                let holder = match relation {
                    Relation::Own => acting,
                    Relation::Group => &teammate,
                    Relation::Agency => &colleague,
                    Relation::Other => &stranger,
                };
                let recs = records_of(&app, holder).await;
                let Some((path, body)) = sample(route, &recs, &fixture, &role.name) else {
                    continue;
                };
                route_driven = true;
                let mut req = client
                    .request(
                        Method::from_bytes(route.method.as_str().as_bytes()).unwrap(),
                        app.url(&path),
                    )
                    .bearer_auth(&tokens[&role.name]);
                // Routes that change a record under optimistic concurrency need the version read;
                // the others ignore it.
                if route.method != axum::http::Method::GET {
                    req = req.header("If-Match", "\"1\"");
                }
                if !body.is_null() {
                    req = req.json(&body);
                }
                let status = req.send().await.unwrap().status();
                assert!(
                    !status.is_server_error(),
                    "{} {path} as {}: {status}",
                    route.method,
                    role.name
                );
                let got = match status.as_u16() {
                    401 => panic!(
                        "{} {path} as {}: the token was refused",
                        route.method, role.name
                    ),
                    403 => Outcome::Forbidden,
                    404 => Outcome::NotFound,
                    _ => Outcome::Allowed,
                };
                let want = expected(route, role, relation);
                checks += 1;
                if got != want {
                    unexpected.push(format!(
                        "{} {} as {} on a {relation:?} record: expected {want:?}, got {got:?} ({status})",
                        route.method, route.path, role.name
                    ));
                }
            }
        }
        if route_driven {
            driven += 1;
        }
    }
    println!(
        "authorization matrix: {driven} routes driven of {} declared, {} roles, 4 record relations: {checks} checks, {} unexpected",
        routes.len(),
        roles.len(),
        unexpected.len()
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    // Out-of-scope reads left a trace.
    let refusals = store
        .audit_rows(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "authorization.failure")
        .count();
    assert!(refusals > 0);
}
