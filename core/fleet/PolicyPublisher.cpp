#include "fleet/PolicyPublisher.h"

#include "fleet/EtcdCodec.h"
#include "fleet/EtcdWire.h"
#include "policy/PolicyDocument.h"

namespace rebound {

void PolicyPublisher::publish(EtcdWire &wire, const FleetKeys &keys, const QByteArray &document,
                              std::function<void(Result<std::int64_t>)> done)
{
    // Members refuse an invalid version anyway; the one publishing should hear it first, and
    // the fleet should not have to.
    const PolicyValidation v = PolicyDocument::parse(document);
    if (!v.ok()) {
        done(Error{QStringLiteral("invalid-policy"), v.errors.join(u'\n')});
        return;
    }
    wire.call(QStringLiteral("/v3/kv/put"),
              {{QStringLiteral("key"), EtcdCodec::base64(keys.policies())},
               {QStringLiteral("value"), EtcdCodec::base64(document)}},
              [done](Result<QByteArray> answer) {
                  if (!answer)
                      return done(answer.error());
                  auto o = EtcdCodec::object(*answer, QStringLiteral("put"));
                  if (!o)
                      return done(o.error());
                  // The put's header revision is the key's new mod_revision.
                  done(EtcdCodec::headerRevision(*o, QStringLiteral("put")));
              });
}

} // namespace rebound
