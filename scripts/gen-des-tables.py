#!/usr/bin/env python3
"""gen-des-tables.py - write core/src/crypto/des_tables.h (the constant tables of core/src/crypto/des.c).

The DES tables below are the ones FIPS 46-3 publishes (IP, E, P, PC-1, PC-2, the shifts and the
eight S-boxes). A bit-by-bit DES built from them directly (des) is checked against the textbook
vector and used to check the table-driven form des.c implements (des_fast) on 200 random keys and
blocks, both directions, before the tables of that form are written.
Usage: python3 scripts/gen-des-tables.py core/src/crypto/des_tables.h
"""
import random
import sys

# FIPS 46-3 tables (bit numbers count from 1, the most significant bit).
IP=[58,50,42,34,26,18,10,2,60,52,44,36,28,20,12,4,62,54,46,38,30,22,14,6,64,56,48,40,32,24,16,8,
57,49,41,33,25,17,9,1,59,51,43,35,27,19,11,3,61,53,45,37,29,21,13,5,63,55,47,39,31,23,15,7]
FP=[IP.index(i+1)+1 for i in range(64)]
E=[32,1,2,3,4,5,4,5,6,7,8,9,8,9,10,11,12,13,12,13,14,15,16,17,16,17,18,19,20,21,20,21,22,23,24,25,
24,25,26,27,28,29,28,29,30,31,32,1]
P=[16,7,20,21,29,12,28,17,1,15,23,26,5,18,31,10,2,8,24,14,32,27,3,9,19,13,30,6,22,11,4,25]
PC1=[57,49,41,33,25,17,9,1,58,50,42,34,26,18,10,2,59,51,43,35,27,19,11,3,60,52,44,36,
63,55,47,39,31,23,15,7,62,54,46,38,30,22,14,6,61,53,45,37,29,21,13,5,28,20,12,4]
PC2=[14,17,11,24,1,5,3,28,15,6,21,10,23,19,12,4,26,8,16,7,27,20,13,2,
41,52,31,37,47,55,30,40,51,45,33,48,44,49,39,56,34,53,46,42,50,36,29,32]
SH=[1,1,2,2,2,2,2,2,1,2,2,2,2,2,2,1]
S=[[14,4,13,1,2,15,11,8,3,10,6,12,5,9,0,7,0,15,7,4,14,2,13,1,10,6,12,11,9,5,3,8,4,1,14,8,13,6,2,11,15,12,9,7,3,10,5,0,15,12,8,2,4,9,1,7,5,11,3,14,10,0,6,13],
[15,1,8,14,6,11,3,4,9,7,2,13,12,0,5,10,3,13,4,7,15,2,8,14,12,0,1,10,6,9,11,5,0,14,7,11,10,4,13,1,5,8,12,6,9,3,2,15,13,8,10,1,3,15,4,2,11,6,7,12,0,5,14,9],
[10,0,9,14,6,3,15,5,1,13,12,7,11,4,2,8,13,7,0,9,3,4,6,10,2,8,5,14,12,11,15,1,13,6,4,9,8,15,3,0,11,1,2,12,5,10,14,7,1,10,13,0,6,9,8,7,4,15,14,3,11,5,2,12],
[7,13,14,3,0,6,9,10,1,2,8,5,11,12,4,15,13,8,11,5,6,15,0,3,4,7,2,12,1,10,14,9,10,6,9,0,12,11,7,13,15,1,3,14,5,2,8,4,3,15,0,6,10,1,13,8,9,4,5,11,12,7,2,14],
[2,12,4,1,7,10,11,6,8,5,3,15,13,0,14,9,14,11,2,12,4,7,13,1,5,0,15,10,3,9,8,6,4,2,1,11,10,13,7,8,15,9,12,5,6,3,0,14,11,8,12,7,1,14,2,13,6,15,0,9,10,4,5,3],
[12,1,10,15,9,2,6,8,0,13,3,4,14,7,5,11,10,15,4,2,7,12,9,5,6,1,13,14,0,11,3,8,9,14,15,5,2,8,12,3,7,0,4,10,1,13,11,6,4,3,2,12,9,5,15,10,11,14,1,7,6,0,8,13],
[4,11,2,14,15,0,8,13,3,12,9,7,5,10,6,1,13,0,11,7,4,9,1,10,14,3,5,12,2,15,8,6,1,4,11,13,12,3,7,14,10,15,6,8,0,5,9,2,6,11,13,8,1,4,10,7,9,5,0,15,14,2,3,12],
[13,2,8,4,6,15,11,1,10,9,3,14,5,0,12,7,1,15,13,8,10,3,7,4,12,5,6,11,0,14,9,2,7,11,4,1,9,12,14,2,0,6,10,13,15,3,5,8,2,1,14,7,4,10,8,13,15,12,9,0,3,5,6,11]]

# Reference DES, bit by bit, straight from the tables.
def bits(x,n): return [(x>>(n-1-i))&1 for i in range(n)]
def num(b):
    v=0
    for x in b: v=v*2+x
    return v
def perm(b,t): return [b[i-1] for i in t]
def sbox(i,v):
    row=((v>>5)&1)*2+(v&1); col=(v>>1)&15
    return S[i][row*16+col]
def subkeys(key):
    k=perm(bits(key,64),PC1); c,d=k[:28],k[28:]; out=[]
    for s in SH:
        c=c[s:]+c[:s]; d=d[s:]+d[:s]; out.append(perm(c+d,PC2))
    return out
def f(r,k):
    x=[a^b for a,b in zip(perm(r,E),k)]
    o=[]
    for i in range(8): o+=bits(sbox(i,num(x[6*i:6*i+6])),4)
    return perm(o,P)
def des(key,blk,dec=False):
    ks=subkeys(key)
    if dec: ks=ks[::-1]
    b=perm(bits(blk,64),IP); l,r=b[:32],b[32:]
    for k in ks: l,r=r,[a^b for a,b in zip(l,f(r,k))]
    return num(perm(r+l,FP))

# The form des.c implements: 32-bit halves, E as two rotations (R>>>3 lines up groups 1,3,5,7
# with the bytes of the first round-key word, R<<<1 groups 2,4,6,8 with the second), S-box and P
# merged into des_sp, PC-2 applied to 7-bit chunks of C||D through des_pc2, IP and FP as five
# exchanges of bit groups between the halves.
M=0xffffffff
def rotl(x,n): return ((x<<n)|(x>>(32-n)))&M
def rotr(x,n): return ((x>>n)|(x<<(32-n)))&M
SP=[[num(perm([0]*(4*i)+bits(sbox(i,v),4)+[0]*(28-4*i),P)) for v in range(64)] for i in range(8)]
PC2T=[]
for j in range(8):
    row=[]
    for v in range(128):
        cd=[0]*56
        for t in range(7): cd[7*j+t]=(v>>(6-t))&1
        k=perm(cd,PC2); g=[num(k[6*i:6*i+6]) for i in range(8)]
        ka=g[0]<<24|g[2]<<16|g[4]<<8|g[6]; kb=g[1]<<24|g[3]<<16|g[5]<<8|g[7]
        row.append(ka<<32|kb)
    PC2T.append(row)
def sched(key):
    k=perm(bits(key,64),PC1); c=num(k[:28]); d=num(k[28:]); out=[]
    for s in SH:
        c=((c<<s)|(c>>(28-s)))&0xfffffff; d=((d<<s)|(d>>(28-s)))&0xfffffff
        x=0
        for j,ch in enumerate([c>>21,c>>14,c>>7,c,d>>21,d>>14,d>>7,d]): x|=PC2T[j][ch&127]
        out.append((x>>32, x&M))
    return out
def F(r,ka,kb):
    a=rotr(r,3)^ka; b=rotl(r,1)^kb
    return (SP[0][a>>24&63]^SP[2][a>>16&63]^SP[4][a>>8&63]^SP[6][a&63]^
            SP[1][b>>24&63]^SP[3][b>>16&63]^SP[5][b>>8&63]^SP[7][b&63])
def des_fast(key,x,dec=False):
    ks=sched(key)
    if dec: ks=ks[::-1]
    l,r=x>>32,x&M
    t=((l>>4)^r)&0x0f0f0f0f; r^=t; l^=(t<<4)&M
    t=((l>>16)^r)&0xffff; r^=t; l^=(t<<16)&M
    t=((r>>2)^l)&0x33333333; l^=t; r^=(t<<2)&M
    t=((r>>8)^l)&0x00ff00ff; l^=t; r^=(t<<8)&M
    t=((l>>1)^r)&0x55555555; r^=t; l^=(t<<1)&M
    for i in range(0,16,2):
        l^=F(r,*ks[i]); r^=F(l,*ks[i+1])
    l,r=r,l
    t=((l>>1)^r)&0x55555555; r^=t; l^=(t<<1)&M
    t=((r>>8)^l)&0x00ff00ff; l^=t; r^=(t<<8)&M
    t=((r>>2)^l)&0x33333333; l^=t; r^=(t<<2)&M
    t=((l>>16)^r)&0xffff; r^=t; l^=(t<<16)&M
    t=((l>>4)^r)&0x0f0f0f0f; r^=t; l^=(t<<4)&M
    return l<<32|r

# Check the fast form against the reference, then write the header.
random.seed(46)
for _ in range(200):
    k=random.getrandbits(64); x=random.getrandbits(64)
    assert des_fast(k,x)==des(k,x), (hex(k),hex(x))
    assert des_fast(k,x,True)==des(k,x,True)
assert des(0x0123456789ABCDEF, 0x4E6F772069732074) == 0x3FA40E8A984D4815
# emit header
o=[]
o.append("/*\n * des_tables.h - generated by scripts/gen-des-tables.py from the FIPS 46-3 tables; do not edit.\n"
" * des_sp[i][v]: S-box i+1 applied to the 6-bit group v, placed and permuted by P.\n"
" * des_pc2[j][v]: the round-key words (high: groups 1,3,5,7; low: groups 2,4,6,8, one per byte)\n"
" * that 7-bit chunk j of C||D contributes through PC-2.\n */\n")
o.append("static const uint32_t des_sp[8][64] = {\n")
for i in range(8):
    o.append("    {")
    for v in range(64):
        if v%6==0: o.append("\n        ")
        o.append("0x%08x,"%SP[i][v] + ("" if v%6==5 or v==63 else " "))
    o.append("\n    },\n")
o.append("};\n\nstatic const uint64_t des_pc2[8][128] = {\n")
for j in range(8):
    o.append("    {")
    for v in range(128):
        if v%4==0: o.append("\n        ")
        o.append("0x%016xu,"%PC2T[j][v] + ("" if v%4==3 else " "))
    o.append("\n    },\n")
o.append("};\n")
open(sys.argv[1], "w").write("".join(o))
