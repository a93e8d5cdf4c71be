import zlib, gzip, struct, rdata
d='x/usr/lib/R/site-library/janeaustenr/data/'
idx=rdata.parser.parse_data(gzip.decompress(open(d+'Rdata.rdx','rb').read()))
conv=rdata.conversion.convert(idx)
print(conv.keys() if hasattr(conv,'keys') else conv)
print(conv['variables'])
rdb=open(d+'Rdata.rdb','rb').read()
for name,(off,ln) in conv['variables'].items():
    off=int(off); ln=int(ln)
    chunk=rdb[off:off+ln]
    data=zlib.decompress(chunk[4:])
    obj=rdata.conversion.convert(rdata.parser.parse_data(data))
    print(name, type(obj), len(obj))
    import pickle
    lines=list(obj)
    open(f'{name}.txt','w').write('\n'.join(str(l) for l in lines))
