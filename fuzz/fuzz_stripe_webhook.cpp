// Stripe webhooks: the Stripe-Signature check over any header and body (a body signed with the
// secret must pass; the same body changed must not), then the event reader, which may only
// refuse with an AppError.
#include <cstdint>
#include <string>

#include "billing/stripe_webhook.hpp"
#include "core/crypto.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace karma;
  using namespace karma::billing;
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string header = input.substr(0, newline);
  const std::string payload = newline == std::string::npos ? input : input.substr(newline + 1);
  constexpr std::string_view kSecret = "whsec_fuzz";
  constexpr std::int64_t kNow = 1'800'000'000;
  (void)verify_stripe_signature(header, payload, kSecret, kNow);

  const std::string signature =
      crypto::hex(crypto::hmac_sha256(kSecret, std::to_string(kNow) + "." + payload));
  const std::string valid = "t=" + std::to_string(kNow) + ",v1=" + signature;
  if (verify_stripe_signature(valid, payload, kSecret, kNow) != SignatureProblem::none)
    std::abort();
  if (verify_stripe_signature(valid, payload + "x", kSecret, kNow) == SignatureProblem::none)
    std::abort();

  fuzz::refusable([&] { (void)read_stripe_event(payload); });
  return 0;
}
