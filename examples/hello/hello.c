/* hello: two ports on one switch exchange a frame, mirage-vnetif style.
 * Build against an installed libvnetif:
 *   cc hello.c $(pkg-config --cflags --libs vnetif) -o hello */
#include <stdio.h>
#include <string.h>

#include <vnetif.h>

static void on_frame(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	const unsigned char *f = frame;

	(void)port;
	printf("%s received %zu bytes from %02x:%02x:%02x:%02x:%02x:%02x: \"%s\"\n",
	       (const char *)arg, len, f[6], f[7], f[8], f[9], f[10], f[11], (const char *)f + 14);
}

int main(void)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	unsigned char mac_a[6], mac_b[6], frame[64] = {0};
	int rc;

	vnetif_switch_config_init(&cfg); /* sync delivery, learning switch, MTU 1500 */
	rc = vnetif_switch_create(&cfg, &sw);
	if (rc < 0) {
		fprintf(stderr, "switch: %s\n", vnetif_strerror(rc));
		return 1;
	}
	if ((rc = vnetif_connect(sw, NULL, &a)) < 0 || (rc = vnetif_connect(sw, NULL, &b)) < 0) {
		fprintf(stderr, "connect: %s\n", vnetif_strerror(rc));
		return 1;
	}
	vnetif_mac(a, mac_a);
	vnetif_mac(b, mac_b);
	vnetif_listen(b, on_frame, "port b");

	memcpy(frame, mac_b, 6);     /* destination */
	memcpy(frame + 6, mac_a, 6); /* source */
	frame[12] = 0x88;            /* a local experimental EtherType */
	frame[13] = 0xb5;
	strcpy((char *)frame + 14, "hello over libvnetif");
	rc = vnetif_write(a, frame, sizeof(frame)); /* sync: b's listener has run on return */
	if (rc < 0) {
		fprintf(stderr, "write: %s\n", vnetif_strerror(rc));
		return 1;
	}

	struct vnetif_stats st;
	vnetif_stats_get(b, &st);
	printf("port b: rx_packets=%llu rx_bytes=%llu\n", (unsigned long long)st.rx_packets,
	       (unsigned long long)st.rx_bytes);
	return vnetif_switch_destroy(sw) == 0 && st.rx_packets == 1 ? 0 : 1;
}
