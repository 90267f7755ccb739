#!/usr/bin/env python3
"""Generate a large keepalived.conf: N vrrp_instances and M virtual_servers.

Usage: gen.py [INSTANCES] [VIRTUAL_SERVERS] [INTERFACE] > big.conf
Each instance has its own VRID on one of 255 VRIDs x interfaces-worth of unicast source addresses
so that keepalived accepts the file (VRIDs must be unique per interface and family).
"""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
m = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
ifname = sys.argv[3] if len(sys.argv) > 3 else "lo"

out = sys.stdout.write
out("global_defs {\n    router_id BENCH\n    vrrp_version 3\n}\n\n")
for i in range(n):
    vrid = i % 255 + 1
    block = i // 255
    out(f"""vrrp_instance VI_{i} {{
    state BACKUP
    interface {ifname}
    virtual_router_id {vrid}
    priority {100 + i % 100}
    advert_int 1
    unicast_src_ip 10.{block // 250}.{block % 250}.1
    unicast_peer {{
        10.{block // 250}.{block % 250}.2
    }}
    virtual_ipaddress {{
        172.{16 + block // 250}.{block % 250}.{vrid}/32
    }}
}}
""")
for j in range(m):
    out(f"""
virtual_server 192.168.{j // 250}.{j % 250 + 1} 80 {{
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.200.{j // 250}.{j % 250 + 1} 80 {{
        weight 1
        TCP_CHECK {{
            connect_timeout 3
        }}
    }}
    real_server 10.201.{j // 250}.{j % 250 + 1} 80 {{
        weight 1
        HTTP_GET {{
            url {{
                path /health
                status_code 200
            }}
            connect_timeout 3
        }}
    }}
}}
""")
