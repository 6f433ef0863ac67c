//! A region's health, lag and database tables leave out what the fleet's `[traffic]` table
//! already says (the AWS account and endpoint of Route 53, the Azure profile, the
//! Cloudflare account): filled in once, when the fleet is loaded, so no provider looks in
//! two tables for one key.

use super::Settings;

impl Settings {
    /// Fill what this capability's settings leave out from the fleet's traffic settings.
    pub fn inherit_from_traffic(&mut self, traffic: &Settings) {
        match (self, traffic) {
            (Settings::Route53Health(s), Settings::Route53Traffic(t)) => {
                s.aws.inherit(&t.aws, true)
            }
            (Settings::CloudWatch(s), Settings::Route53Traffic(t)) => s.aws.inherit(&t.aws, false),
            (Settings::Aurora(s), Settings::Route53Traffic(t)) => s.aws.inherit(&t.aws, false),
            (Settings::ElasticacheGlobal(s), Settings::Route53Traffic(t)) => {
                s.aws.inherit(&t.aws, false)
            }
            (Settings::AzureHealth(s), Settings::AzureTraffic(t)) => {
                let fill = |mine: &mut Option<String>, theirs: &String| {
                    if mine.is_none() {
                        *mine = Some(theirs.clone());
                    }
                };
                fill(&mut s.subscription_id, &t.subscription_id);
                fill(&mut s.resource_group, &t.resource_group);
                fill(&mut s.profile, &t.profile);
                s.account.inherit(&t.account);
                s.http.inherit(&t.http);
            }
            (Settings::CloudflareHealth(s), Settings::CloudflareTraffic(t)) => {
                if s.account_id.is_none() {
                    s.account_id = Some(t.account_id.clone());
                }
                s.account.inherit(&t.account);
                s.http.inherit(&t.http);
            }
            // The KV namespace is usually in the load balancers' account: its token and
            // endpoint (a stand-in) are the same.
            (Settings::CloudflareKv(s), Settings::CloudflareTraffic(t)) => {
                s.account.inherit(&t.account);
                s.http.inherit(&t.http);
            }
            (Settings::Alarms(s), Settings::Route53Traffic(t)) => s.aws.inherit(&t.aws, false),
            _ => {}
        }
    }

    /// A health source that reads exactly what the traffic table reads (a Traffic Manager
    /// profile, Cloudflare's pools), so one client and one read serve both.
    pub fn reads_like_traffic(&self, traffic: &Settings) -> bool {
        match (self, traffic) {
            (Settings::AzureHealth(h), Settings::AzureTraffic(t)) => {
                h.subscription_id.as_ref() == Some(&t.subscription_id)
                    && h.resource_group.as_ref() == Some(&t.resource_group)
                    && h.profile.as_ref() == Some(&t.profile)
                    && h.account == t.account
                    && h.http == t.http
            }
            (Settings::CloudflareHealth(h), Settings::CloudflareTraffic(t)) => {
                h.account_id.as_ref() == Some(&t.account_id)
                    && h.account == t.account
                    && h.http == t.http
            }
            _ => false,
        }
    }
}
