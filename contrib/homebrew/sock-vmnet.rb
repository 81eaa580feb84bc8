# SPDX-License-Identifier: MIT
# sock-vmnet.rb — a Homebrew formula that builds sock-vmnet from this repository:
#   brew install --HEAD ./contrib/homebrew/sock-vmnet.rb
# (set SOCK_VMNET_REPO to another clone or URL; the default is this formula's own tree)
class SockVmnet < Formula
  desc "Guarded, NAT'd network for one virtual machine (vmnet, libslirp)"
  homepage "https://example.org/sock-vmnet" # where the project is published
  license "MIT"
  head ENV.fetch("SOCK_VMNET_REPO", "file://#{File.expand_path("../..", __dir__)}"), using: :git, branch: "main"

  depends_on "meson" => :build
  depends_on "ninja" => :build
  depends_on "pkg-config" => :build
  depends_on "scdoc" => :build
  depends_on "json-c"
  depends_on "libslirp"
  depends_on :macos
  depends_on "sqlite"
  # libpcap and vmnet.framework are macOS's own

  def install
    system "meson", "setup", "build", *std_meson_args
    system "meson", "compile", "-C", "build", "--verbose"
    system "meson", "install", "-C", "build"
    (share/"sock-vmnet").install "contrib/launchd/org.sock-vmnet.vm0.plist"
  end

  def caveats
    <<~EOS
      vmnet needs root before macOS 26 (or Apple's com.apple.vm.networking entitlement);
      on macOS 26 an ad-hoc signature is enough: see `make macos-sign` in the sources.
      A LaunchDaemon example: #{opt_share}/sock-vmnet/org.sock-vmnet.vm0.plist
    EOS
  end

  test do
    assert_match "sock-vmnet #{version}", shell_output("#{bin}/sock-vmnet --version") if build.head?
    output = shell_output("#{bin}/sock-vmnet --fd=99 --mac=52:54:00:12:34:56 2>&1", 2)
    assert_match "--fd: 99 is not an open file descriptor", output
  end
end
