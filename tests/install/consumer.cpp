/*
 * The C++17 consumer of an installed libskycrate (tests/install/consumers.sh builds it with
 * `pkg-config --cflags --libs skycrate`, and --static): the same dev-mode provisioning and
 * presigned PUT as consumer.c, through the header-only wrapper skycrate.hpp.
 *   consumer-cpp DIR
 */
#include <iostream>
#include <string>

#include <skycrate.hpp>

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::cerr << "usage: consumer-cpp DIR\n";
        return 2;
    }
    try {
        skycrate::library lib;
        auto store = skycrate::user_store::file(std::string(argv[1]) + "/users.json");
        skycrate::provisioner p(nullptr, {&store, true, SKYCRATE_FAILURE_MODE_STRICT, {}});
        skycrate::record rec = p.provision("u42");
        if (rec.state != SKYCRATE_STATE_ACTIVE || rec.bucket != "skycrate-dev-u42") {
            std::cerr << "consumer-cpp: unexpected record " << rec.json << "\n";
            return 1;
        }
        std::cout << "provisioned " << rec.bucket << "\n";
        // The record is there for a second provisioner, and a missing one is an exception.
        if (p.show("u42").json != rec.json)
            return 1;
        try {
            p.show("nobody");
            return 1;
        } catch (const skycrate::error &e) {
            if (e.code() != SKYCRATE_ENOTFOUND)
                return 1;
        }

        auto keys = skycrate::credentials_provider::static_keys(
            "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        skycrate::client client({"eu-west-1", "", SKYCRATE_ADDRESSING_AUTO, &keys});
        skycrate::presigner presigner(client);
        skycrate::presign_options at_t0{{{"Content-Type", "application/pdf"}}, 900, 1732300000};
        std::string url = presigner.url("PUT", "bucket", "uploads/u42/report.pdf", at_t0);
        if (presigner.presign("PUT", "bucket", "uploads/u42/report.pdf", at_t0).url != url)
            return 1;
        std::cout << "url " << url << "\n";
        auto contract = presigner.presign("PUT", "bucket", skycrate::upload_key("u42", "cv.pdf"),
                                          {{{"Content-Type", "application/pdf"}}});
        if (contract.headers.size() != 1 || contract.headers[0].second != "application/pdf" ||
            contract.json.find("\"expiresIn\":900") == std::string::npos)
            return 1;
        std::cout << "libskycrate " << skycrate_version_string() << "\n";
    } catch (const skycrate::error &e) {
        std::cerr << "consumer-cpp: " << e.what() << " (" << e.code() << ")\n";
        return 1;
    }
    return 0;
}
