// middlebox.click -- a Click middlebox between two segments of libvnetif switches.
//
// DPDK device 0 is a memif client on segment A's switch, device 1 on segment B's
// (see README.md for the command line). Frames are counted both ways; from A to B,
// IPv4 TCP to port 23 (telnet) is dropped and counted; everything else is forwarded
// unchanged, so ARP, ping and other TCP pass.

a_in  :: FromDPDKDevice(0, PROMISC true);
b_in  :: FromDPDKDevice(1, PROMISC true);
a_out :: ToDPDKDevice(0);
b_out :: ToDPDKDevice(1);

// Offsets from the Ethernet header: 12 ethertype, 23 IP protocol, 36 TCP destination
// port (IPv4 without options: 14 + 20 + 2).
rule :: Classifier(12/0800 23/06 36/0017, -);

a_in -> a2b :: Counter -> rule;
rule[0] -> telnet :: Counter -> Discard;
rule[1] -> b_out;

b_in -> b2a :: Counter -> a_out;

Script(TYPE ACTIVE,
       wait 1s,
       print "A->B $(a2b.count) frames, B->A $(b2a.count) frames, dropped (tcp/23) $(telnet.count)",
       loop);
