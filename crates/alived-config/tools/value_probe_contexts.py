import json, os
K={n:json.load(open('/tmp/kp/k_%s.json'%n)) for n in ['global_defs','vrrp_instance','vrrp_script','virtual_server','real_server','TCP_CHECK','HTTP_GET','url','vrrp_sync_group','track_file','vrrp_track_process','bfd_instance','MISC_CHECK','DNS_CHECK','UDP_CHECK','SMTP_CHECK','PING_CHECK','FILE_CHECK','garp_group']}
skipv={'virtual_ipaddress','virtual_ipaddress_excluded','virtual_routes','virtual_rules','unicast_peer','track_interface','track_script','track_file','track_process','track_bfd','authentication','notification_email','group','real_server','url','host','interfaces','TCP_CHECK','HTTP_GET','SSL_GET','MISC_CHECK','SMTP_CHECK','DNS_CHECK','UDP_CHECK','PING_CHECK','FILE_CHECK','BFD_CHECK'}
VI='vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n%s\n virtual_ipaddress {\n 10.0.0.1\n }\n}\n'
RS='virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 10.0.0.2 80 {\n%s\n }\n}\n'
ctx={'global_defs':'global_defs {\n%s\n}\n','vrrp_instance':VI,'vrrp_script':'vrrp_script S {\n script "/usr/bin/true"\n%s\n}\nglobal_defs {\n enable_script_security\n}\n',
 'virtual_server':'virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n%s\n real_server 10.0.0.2 80 {\n }\n}\n','real_server':RS,
 'vrrp_sync_group':(VI % '')+'vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress {\n 10.0.0.2\n }\n}\nvrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n%s\n}\n',
 'track_file':'track_file F {\n file /tmp/x\n%s\n}\n','vrrp_track_process':'vrrp_track_process P {\n process foo\n%s\n}\n','bfd_instance':'bfd_instance B {\n neighbor_ip 10.0.0.9\n%s\n}\n','garp_group':'garp_group {\n interface eth0\n%s\n}\n'}
for c in ['TCP_CHECK','HTTP_GET','MISC_CHECK','DNS_CHECK','UDP_CHECK','SMTP_CHECK','PING_CHECK','FILE_CHECK']:
    extra = ' misc_path /usr/bin/true\n' if c=='MISC_CHECK' else (' url {\n path /\n }\n' if c=='HTTP_GET' else '')
    ctx[c]=RS % ('  %s {\n%s%%s\n }' % (c, extra))
ctx['url']=RS % '  HTTP_GET {\n url {\n path /\n%s\n }\n }'
for name,t in ctx.items():
    for kw in K[name]:
        if kw in skipv: continue
        for i,val in enumerate(['', 'bogus', '-5', '99999999999', '0', '1.5']):
            line=' %s %s'%(kw,val)
            if name=='vrrp_sync_group' and kw.startswith('notify'): continue
            if kw.startswith('notify') or kw in ('script','misc_path','quorum_up','quorum_down','startup_script','shutdown_script','notify_fifo_script','vrrp_notify_fifo_script','lvs_notify_fifo_script'): continue
            open('/tmp/kp/rc/%s__%s__%d.conf'%(name,kw,i),'w').write(t%line)
print(len(os.listdir('/tmp/kp/rc')))
