import json
K={n:json.load(open('k_%s.json'%n)) for n in ['root','global_defs','vrrp_instance','authentication','vrrp_sync_group','vrrp_script','track_file','vrrp_track_process','garp_group','track_group','bfd_instance','SSL','virtual_server','real_server','TCP_CHECK','HTTP_GET','SSL_GET','MISC_CHECK','SMTP_CHECK','DNS_CHECK','UDP_CHECK','PING_CHECK','FILE_CHECK','BFD_CHECK','url','host']}
CONST={'root':'ROOT','global_defs':'GLOBAL_DEFS','vrrp_instance':'VRRP_INSTANCE','authentication':'AUTHENTICATION','vrrp_sync_group':'VRRP_SYNC_GROUP','vrrp_script':'VRRP_SCRIPT','track_file':'TRACK_FILE','vrrp_track_process':'VRRP_TRACK_PROCESS','garp_group':'GARP_GROUP','track_group':'TRACK_GROUP','bfd_instance':'BFD_INSTANCE','SSL':'SSL','virtual_server':'VIRTUAL_SERVER','real_server':'REAL_SERVER','url':'URL','host':'SMTP_HOST'}
for c in ['TCP_CHECK','HTTP_GET','SSL_GET','MISC_CHECK','SMTP_CHECK','DNS_CHECK','UDP_CHECK','PING_CHECK','FILE_CHECK','BFD_CHECK']: CONST[c]=c
blocks={ # (table, keyword) -> schema table name
 ('root','global_defs'):'global_defs',('root','vrrp_instance'):'vrrp_instance',('root','vrrp_sync_group'):'vrrp_sync_group',
 ('root','vrrp_script'):'vrrp_script',('root','track_file'):'track_file',('root','vrrp_track_file'):'track_file',
 ('root','vrrp_track_process'):'vrrp_track_process',('root','garp_group'):'garp_group',('root','track_group'):'track_group',
 ('root','bfd_instance'):'bfd_instance',('root','SSL'):'SSL',('root','virtual_server'):'virtual_server',
 ('vrrp_instance','authentication'):'authentication',('virtual_server','real_server'):'real_server',
 ('HTTP_GET','url'):'url',('SSL_GET','url'):'url',('SMTP_CHECK','host'):'host'}
for c in ['TCP_CHECK','HTTP_GET','SSL_GET','MISC_CHECK','SMTP_CHECK','DNS_CHECK','UDP_CHECK','PING_CHECK','FILE_CHECK','BFD_CHECK']: blocks[('real_server',c)]=c
values={('root',k) for k in ['static_ipaddress','static_routes','static_rules','linkbeat_interfaces','interface_up_down_delays','virtual_server_group']}
values|={('global_defs','notification_email')}
values|={('vrrp_instance',k) for k in ['virtual_ipaddress','virtual_ipaddress_excluded','virtual_routes','virtual_rules','unicast_peer','track_interface','track_script','track_file','track_process','track_bfd']}
values|={('vrrp_sync_group',k) for k in ['group','track_interface','track_script','track_file','track_process','track_bfd']}
values|={('garp_group','interfaces'),('track_group','group')}
def table(name, doc):
    out=['/// `%s` (%s).'%(name, doc), 'pub static %s: Schema = Schema {'%CONST[name], '    name: "%s",'%name, '    keywords: &['] 
    for k in sorted(K[name]):
        if (name,k) in blocks: out.append('        block("%s", &%s),'%(k, CONST[blocks[(name,k)]]))
        elif (name,k) in values: out.append('        values("%s"),'%k)
        else: out.append('        leaf("%s"),'%k)
    out+=['    ],','};','']
    return '\n'.join(out)
hdr='''use crate::schema::{Schema, block, leaf, values};
'''
files={
'global.rs':('//! `global_defs` keyword table: the 2.2.7 set (keywords marked new in later releases are\n//! unknown here, as in 2.2.7). Behaviour spec 2.1.\n\nuse crate::schema::{Schema, leaf, values};\n\n', [('global_defs','spec 2.1')]),
'vrrp.rs':('//! VRRP-side keyword tables (behaviour spec 2.2 to 2.5).\n\nuse crate::schema::{Schema, block, leaf, values};\n\n',[('vrrp_instance','spec 2.2'),('authentication','spec 2.8'),('vrrp_sync_group','spec 2.4'),('vrrp_script','spec 2.5'),('track_file','spec 2.5; also `vrrp_track_file`'),('vrrp_track_process','spec 2.5'),('garp_group','spec 2.5'),('track_group','spec 2.5'),('bfd_instance','spec 2.5')]),
'check.rs':('//! Checker-side keyword tables (behaviour spec 3).\n\nuse crate::schema::{Schema, block, leaf};\n\n',[('SSL','spec 3.4'),('virtual_server','spec 3.2'),('real_server','spec 3.3')]+[(c,'spec 3.4') for c in ['TCP_CHECK','HTTP_GET','SSL_GET','MISC_CHECK','SMTP_CHECK','DNS_CHECK','UDP_CHECK','PING_CHECK','FILE_CHECK','BFD_CHECK']]+[('url','spec 3.4, inside HTTP_GET/SSL_GET'),('host','spec 3.4, deprecated, inside SMTP_CHECK')]),
}
import os
d='/work/wt/config-model/crates/alived-config/src/keywords/'
for f,(h,ts) in files.items():
    body=h
    if f=='vrrp.rs': pass
    body+='\n'.join(table(n,doc) for n,doc in ts)
    open(d+f,'w').write(body)
root=table('root','spec 1.9')
open(d+'mod.rs','w').write('''//! keepalived 2.2.7's keyword tables, one static [`Schema`] per block.
//!
//! The lists were checked against the real 2.2.7 binary: a keyword is here exactly when
//! `keepalived -t` does not report `Unknown keyword` for it in that block. Value blocks (each
//! line kept raw) and keyword blocks follow the behaviour spec 1.2.

mod check;
mod global;
mod vrrp;

pub use check::*;
pub use global::*;
pub use vrrp::*;

use crate::schema::{Schema, block, leaf, values};

/// The top level (behaviour spec 1.9). `net_namespace` .. `linkbeat_use_polling` are top-level
/// only; `include*` lines are handled by the preprocessor and never reach the tables.
'''+root.split('\n',1)[1]+'''
#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Kind;

    fn all() -> Vec<&'static Schema> {
        let mut seen: Vec<&'static Schema> = vec![&ROOT];
        let mut i = 0;
        while i < seen.len() {
            for k in seen[i].keywords {
                if let Kind::Block(s) = k.kind {
                    if !seen.iter().any(|x| std::ptr::eq(*x, s)) {
                        seen.push(s);
                    }
                }
            }
            i += 1;
        }
        seen
    }

    // Spec 1.2: every block kind reachable from the root, no duplicate keyword in a table.
    #[test]
    fn tables_have_unique_keywords() {
        let tables = all();
        assert!(tables.len() >= 26, "{}", tables.len());
        for t in tables {
            let mut names: Vec<_> = t.keywords.iter().map(|k| k.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "duplicate keyword in {}", t.name);
        }
    }

    // Spec 1.9: top-level-only keywords are unknown inside global_defs and vice versa.
    #[test]
    fn top_level_only_keywords() {
        for k in ["instance", "child_wait_time", "net_namespace", "use_pid_dir"] {
            assert!(ROOT.get(k).is_some(), "{k}");
            assert!(GLOBAL_DEFS.get(k).is_none(), "{k}");
        }
        assert!(ROOT.get("router_id").is_none());
    }

    // Spec 0 / 2.1: keywords new in later releases are unknown in 2.2.7.
    #[test]
    fn newer_keywords_are_unknown() {
        for k in ["state_dump_file", "json_version", "vrrp_owner_ignore_adverts", "use_symlink_paths"] {
            assert!(GLOBAL_DEFS.get(k).is_none(), "{k}");
        }
        for k in ["no_virtual_ipaddress", "auth_hmac", "timer_expired_backup"] {
            assert!(VRRP_INSTANCE.get(k).is_none(), "{k}");
        }
    }

    // Spec 1.2: value blocks versus keyword blocks.
    #[test]
    fn block_kinds() {
        assert!(matches!(VRRP_INSTANCE.get("virtual_ipaddress").map(|k| k.kind), Some(Kind::Values)));
        assert!(matches!(VRRP_INSTANCE.get("authentication").map(|k| k.kind), Some(Kind::Block(_))));
        assert!(matches!(ROOT.get("virtual_server_group").map(|k| k.kind), Some(Kind::Values)));
        assert!(matches!(HTTP_GET.get("url").map(|k| k.kind), Some(Kind::Block(_))));
        assert!(matches!(VRRP_SYNC_GROUP.get("group").map(|k| k.kind), Some(Kind::Values)));
    }
}
''')
