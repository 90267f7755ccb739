import subprocess, re, os, sys, json, gzip
words=set()
for l in subprocess.run(['strings','-n','2','/usr/sbin/keepalived'],capture_output=True,text=True).stdout.splitlines():
    for w in re.findall(r'[A-Za-z_][A-Za-z0-9_-]*', l):
        words.add(w)
man=gzip.open('/usr/share/man/man5/keepalived.conf.5.gz','rt',errors='replace').read()
for w in re.findall(r'[A-Za-z_][A-Za-z0-9_-]*', man.replace('\\-','-').replace('\\_','_')): words.add(w)
ext=set()
for w in words:
    for i,ch in enumerate(w):
        if ch in '_-' and i+1<len(w): ext.add(w[i+1:])
words|=ext
cands=sorted(w for w in words if len(w)>=2 and not w.startswith('include') and not w.startswith('_'))
RS = 'virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n%s\n }\n}\n'
ctx = {
 'root': '%s\n', 'global_defs': 'global_defs {\n%s\n}\n', 'vrrp_instance': 'vrrp_instance VI {\n%s\n}\n',
 'authentication': 'vrrp_instance VI {\n authentication {\n%s\n }\n}\n',
 'vrrp_sync_group': 'vrrp_sync_group G {\n%s\n}\n', 'vrrp_script': 'vrrp_script S {\n%s\n}\n',
 'track_file': 'track_file F {\n%s\n}\n', 'vrrp_track_process': 'vrrp_track_process P {\n%s\n}\n',
 'garp_group': 'garp_group {\n%s\n}\n', 'track_group': 'track_group T {\n%s\n}\n',
 'bfd_instance': 'bfd_instance B {\n%s\n}\n', 'SSL': 'SSL {\n%s\n}\n',
 'virtual_server': 'virtual_server 10.0.0.1 80 {\n%s\n}\n', 'real_server': RS,
}
for c in ['TCP_CHECK','HTTP_GET','SSL_GET','MISC_CHECK','SMTP_CHECK','DNS_CHECK','UDP_CHECK','PING_CHECK','FILE_CHECK','BFD_CHECK']:
    ctx[c] = RS % (' '+c+' {\n%s\n }')
ctx['url'] = RS % ' HTTP_GET {\n url {\n%s\n }\n }'
ctx['host'] = RS % ' SMTP_CHECK {\n host {\n%s\n }\n }'
def run(text):
    p='/tmp/kp/t_%d.conf'%os.getpid()
    open(p,'w').write(text)
    r=subprocess.run(['keepalived','-t','-f',p],capture_output=True,text=True,timeout=30)
    return r.stderr+r.stdout
which = sys.argv[1:] or list(ctx)
for name in which:
    t=ctx[name]
    off=t.split('%s')[0].count('\n')+1
    rem=list(cands); known=[]
    while rem:
        out=run(t % '\n'.join(rem))
        unk=set((int(a),b) for a,b in re.findall(r"Line (\d+)\) Unknown keyword '([^']*)'", out))
        i=0
        while i<len(rem) and (off+i, rem[i]) in unk: i+=1
        if i==len(rem): break
        # verify rem[i] alone
        o=run(t % rem[i])
        if ("Unknown keyword '%s'"%rem[i]) not in o: known.append(rem[i])
        rem=rem[i+1:]
    json.dump(known, open('/tmp/kp/k_%s.json'%name,'w'))
    print(name, known, flush=True)
