/* PROGRAM decoder for Windows event XML carried in a syslog message:
 * Sysmon for Linux writes each event as one line `sysmon: <Event><System>
 * ...<Channel>Linux-Sysmon/Operational</Channel>...</System><EventData>
 * <Data Name="Image">/usr/bin/curl</Data>...</EventData></Event>`, and
 * Windows forwarders (NXLog's to_xml, Snare-style XML) do the same for
 * Windows channels. The message goes through the EVTX XML mapping
 * (vg_evtx_decode_xml in evtx.c), so rules see the same names an EVTX
 * record gives (Channel, EventID, Image, CommandLine, ECS). The chain runs
 * it for the program "sysmon" and, whatever the program, for any message
 * that starts with "<Event" (decode.c). */
#include "internal.h"
#include "textscan.h"
#include "vigil/evtx.h"

static int decode(struct vg_event *ev, const char *buf, size_t len, struct vg_err *err)
{
    const char *p = buf, *end = buf + len;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (!ts_starts(p, end, "<Event")) return vg_err_set(err, VG_EFORMAT, "winxml: message is not an <Event> element");
    return vg_evtx_decode_xml(ev, p, (size_t)(end - p), err);
}

const struct vg_decoder vg_dec_winxml = {
    .name = "winxml",
    .desc = "Windows event XML in a syslog message (Sysmon for Linux, XML forwarders): the EVTX names and ECS",
    .kind = VG_DEC_PROGRAM,
    .programs = (const char *const[]){"sysmon", NULL},
    .decode = decode,
};
