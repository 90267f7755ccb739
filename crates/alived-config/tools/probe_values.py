import json, subprocess, re, os
exec(open('value_probe_contexts.py').read().split("for name,t in ctx.items():")[0])
def run(text):
    p='/tmp/kp/p3.conf'; open(p,'w').write(text)
    r=subprocess.run(['keepalived','-t','-f',p],capture_output=True,text=True,timeout=20)
    out=[re.sub(r'^\((?:[^:]*: )?Line \d+\) ','',l) for l in (r.stderr+r.stdout).splitlines() if l.strip()]
    return r.returncode, out
base={}
res={}
for name,t in ctx.items():
    rcb, ob = run(t % '')
    for kw in K[name]:
        if kw in skipv or kw.startswith('notify'): continue
        d={}
        for v in ['bogus','99999999999','-5','1.5','0','']:
            rc,o=run(t % (' %s %s'%(kw,v)))
            d[v]=(rc,[x for x in o if x not in ob])
        res[name+'/'+kw]=d
json.dump(res,open('/tmp/kp/probe3.json','w'),indent=0)
print(len(res))
