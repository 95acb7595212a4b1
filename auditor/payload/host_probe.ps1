# host_probe.ps1 - the auditor's probe payload for Windows (PowerShell 2.0 to 5.1, and 7).
#
# Observations only: it measures what the plan asks for and prints ONE JSON
# document between the BEGIN and END lines; the auditor's judge decides what it
# means (docs/observations.md, "The PowerShell payload"). It changes nothing on
# the host and writes nothing to disk.
#
# PowerShell 2.0 is the floor: no cmdlet or syntax newer than 2.0 (no
# ConvertTo-Json, Test-NetConnection, Resolve-DnsName, [ordered], ::new(), -in,
# -shl). Sockets are .NET's; DNS queries are built by hand; every probe runs in
# a runspace of one pool, within the plan's deadline; the JSON is written by
# hand with invariant-culture numbers (a German Windows writes 1,5 otherwise).
#
# The auditor replaces the slot line below with the plan as a PowerShell
# literal (auditor/payload/powershell.py). Manual use on a host:
#   powershell -NoProfile -ExecutionPolicy Bypass -File host_probe.ps1
# with the plan already in the slot (auditor payload --flavour powershell).
$Plan = $null  # AUDITOR-PLAN-SLOT (the plan as a PowerShell literal)

$ErrorActionPreference = 'Stop'
$ObservationsVersion = 1
$PlanVersion = 2
$MaxProbes = 256
$Begin = '-----BEGIN AUDITOR OBSERVATIONS-----'
$End = '-----END AUDITOR OBSERVATIONS-----'
$Clock = [System.Diagnostics.Stopwatch]::StartNew()
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture

# ------------------------------------------------------------------ probes
# Everything a probe needs lives in this one script block: each runspace of
# the pool runs it with (kind, item, shared context) and stores its result in
# the synchronized table $Ctx.results under the item's slot. Nothing it emits
# is read, so a stray .NET return value cannot corrupt a result.
$ProbeLib = {
    param($Kind, $Item, $Ctx)
    $ErrorActionPreference = 'Stop'
    $Invariant = [System.Globalization.CultureInfo]::InvariantCulture
    $Clock = [System.Diagnostics.Stopwatch]::StartNew()
    $TimeoutMs = [int]($Ctx.timeout_s * 1000)

    function Get-Secs([double]$Value) {
        if ($Value -lt 0) { $Value = 0 }
        return [Math]::Round($Value, 4)
    }

    function Get-Elapsed { return $Clock.Elapsed.TotalSeconds }

    function Get-SocketException($Err) {
        $e = $Err
        for ($i = 0; $i -lt 8 -and $null -ne $e; $i++) {
            if ($e -is [System.Net.Sockets.SocketException]) { return $e }
            $e = $e.InnerException
        }
        return $null
    }

    function Get-WsaName([int]$Code) {
        $names = @{
            10013 = 'WSAEACCES'; 10050 = 'WSAENETDOWN'; 10051 = 'WSAENETUNREACH';
            10054 = 'WSAECONNRESET'; 10060 = 'WSAETIMEDOUT'; 10061 = 'WSAECONNREFUSED';
            10064 = 'WSAEHOSTDOWN'; 10065 = 'WSAEHOSTUNREACH'; 10049 = 'WSAEADDRNOTAVAIL';
            10047 = 'WSAEAFNOSUPPORT'; 10040 = 'WSAEMSGSIZE'; 10053 = 'WSAECONNABORTED'
        }
        if ($names.ContainsKey($Code)) { return $names[$Code] }
        return ('WSA' + $Code.ToString($Invariant))
    }

    # The .NET exception behind PowerShell's MethodInvocationException wrappers.
    function Get-Inner($Err) {
        $e = $Err
        for ($i = 0; $i -lt 8; $i++) {
            if (-not ($e -is [System.Management.Automation.MethodInvocationException]) -or $null -eq $e.InnerException) { break }
            $e = $e.InnerException
        }
        return $e
    }

    # The connect vocabulary of docs/observations.md from an exception.
    function Get-Failure($Err) {
        $inner = Get-Inner $Err
        $fields = @{ 'status' = 'error'; 'error' = [string]$inner.Message }
        $sock = Get-SocketException $Err
        if ($null -eq $sock) {
            if ($inner -is [System.IO.IOException] -or $inner -is [System.TimeoutException]) {
                $fields['status'] = 'timeout'
            }
            return $fields
        }
        $code = [int]$sock.ErrorCode
        $fields['error'] = [string]$sock.Message
        $fields['errno'] = $code
        $fields['errno_name'] = Get-WsaName $code
        if ($code -eq 10061 -or $code -eq 10054) { $fields['status'] = 'refused' }
        elseif ($code -eq 10065 -or $code -eq 10051 -or $code -eq 10064 -or $code -eq 10050) {
            $fields['status'] = 'unreachable'
        }
        elseif ($code -eq 10013) { $fields['status'] = 'blocked_locally' }
        elseif ($code -eq 10060) { $fields['status'] = 'timeout' }
        return $fields
    }

    function Merge-Into($Target, $Source) {
        foreach ($key in @($Source.Keys)) { $Target[$key] = $Source[$key] }
    }

    # Name -> addresses within the timeout; @{ok=...} or @{failure=...}.
    function Resolve-Name([string]$Name, [int]$Ms) {
        $literal = $null
        if ([System.Net.IPAddress]::TryParse($Name, [ref]$literal)) {
            return @{ 'ok' = @($literal) }
        }
        try {
            $async = [System.Net.Dns]::BeginGetHostAddresses($Name, $null, $null)
        } catch {
            return @{ 'failure' = @{ 'status' = 'resolve_failed'; 'phase' = 'resolve'; 'error' = [string]$_.Exception.Message } }
        }
        if (-not $async.AsyncWaitHandle.WaitOne($Ms, $false)) {
            return @{ 'failure' = @{ 'status' = 'timeout'; 'phase' = 'resolve'; 'error' = 'no answer in time' } }
        }
        try {
            $found = [System.Net.Dns]::EndGetHostAddresses($async)
        } catch {
            $failure = @{ 'status' = 'resolve_failed'; 'phase' = 'resolve'; 'error' = [string]$_.Exception.Message }
            $sock = Get-SocketException $_.Exception
            if ($null -ne $sock) {
                $gai = @{ 11001 = 'EAI_NONAME'; 11002 = 'EAI_AGAIN'; 11003 = 'EAI_FAIL'; 11004 = 'EAI_NODATA' }
                $code = [int]$sock.ErrorCode
                $failure['gai_code'] = $code
                if ($gai.ContainsKey($code)) { $failure['gai_name'] = $gai[$code] }
                else { $failure['gai_name'] = 'WSA' + $code.ToString($Invariant) }
                $failure['error'] = [string]$sock.Message
            }
            return @{ 'failure' = $failure }
        }
        if ($null -eq $found -or $found.Length -eq 0) {
            return @{ 'failure' = @{ 'status' = 'resolve_failed'; 'phase' = 'resolve'; 'gai_name' = 'EAI_NODATA'; 'error' = 'no addresses' } }
        }
        return @{ 'ok' = @($found) }
    }

    function Get-UniqueAddresses($Addresses) {
        $out = New-Object System.Collections.ArrayList
        foreach ($a in $Addresses) {
            $text = $a.ToString()
            if (-not $out.Contains($text) -and $out.Count -lt 16) { [void]$out.Add($text) }
        }
        return ,$out.ToArray()
    }

    # Connect to each address in order until one answers or time is up (<= 4 tries).
    function Connect-Any($Addresses, $Port, [double]$Deadline, $Obs) {
        $attempts = New-Object System.Collections.ArrayList
        $Obs['attempts'] = $attempts
        $tried = 0
        foreach ($address in $Addresses) {
            if ($tried -ge 4) { break }
            $left = $Deadline - (Get-Elapsed)
            if ($left -le 0) { break }
            $tried++
            $attempt = @{ 'address' = $address.ToString() }
            $Obs['address'] = $address.ToString()
            $start = Get-Elapsed
            $client = New-Object System.Net.Sockets.TcpClient($address.AddressFamily)
            $failed = $null
            try {
                $async = $client.BeginConnect($address, [int]$Port, $null, $null)
                if ($async.AsyncWaitHandle.WaitOne([int]($left * 1000), $false)) {
                    $client.EndConnect($async)
                } else {
                    $failed = @{ 'status' = 'timeout'; 'error' = 'no answer in time' }
                }
            } catch {
                $failed = Get-Failure $_.Exception
            }
            $attempt['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
            if ($null -ne $failed) {
                $client.Close()
                Merge-Into $attempt $failed
                [void]$attempts.Add($attempt)
                Merge-Into $Obs $failed
                continue
            }
            $attempt['status'] = 'connected'
            [void]$attempts.Add($attempt)
            $Obs['status'] = 'connected'
            $Obs['local_address'] = $client.Client.LocalEndPoint.Address.ToString()
            $Obs['connect_s'] = $attempt['duration_s']
            foreach ($key in @('error', 'errno', 'errno_name')) { $Obs.Remove($key) }
            return $client
        }
        if (-not $Obs.ContainsKey('status')) {
            $Obs['status'] = 'timeout'
            $Obs['error'] = 'no time left to connect'
        }
        $Obs['phase'] = 'connect'
        return $null
    }

    function New-TargetObs($Spec) {
        return @{ 'check' = $Spec.check; 'host' = $Spec.host; 'port' = $Spec.port }
    }

    function Open-Target($Spec, $Obs) {
        $start = Get-Elapsed
        $resolved = Resolve-Name ([string]$Spec.host) $TimeoutMs
        $Obs['resolve_s'] = Get-Secs ((Get-Elapsed) - $start)
        if ($resolved.ContainsKey('failure')) {
            Merge-Into $Obs $resolved['failure']
            return $null
        }
        $Obs['addresses'] = Get-UniqueAddresses $resolved['ok']
        return (Connect-Any $resolved['ok'] $Spec.port ($start + $Ctx.timeout_s) $Obs)
    }

    function Invoke-Tcp($Spec) {
        $obs = New-TargetObs $Spec
        $start = Get-Elapsed
        $client = Open-Target $Spec $obs
        if ($null -ne $client) { $client.Close() }
        $obs['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
        return $obs
    }

    # A nonce to the provider's reflector; only the exact datagram echoed back counts.
    function Invoke-Udp($Spec) {
        $obs = New-TargetObs $Spec
        $start = Get-Elapsed
        $resolved = Resolve-Name ([string]$Spec.host) $TimeoutMs
        if ($resolved.ContainsKey('failure')) {
            Merge-Into $obs $resolved['failure']
            return $obs
        }
        $address = $resolved['ok'][0]
        $obs['address'] = $address.ToString()
        $random = New-Object byte[] 8
        (New-Object System.Random).NextBytes($random)
        $nonce = ''
        foreach ($b in $random) { $nonce += $b.ToString('x2', $Invariant) }
        $message = [System.Text.Encoding]::ASCII.GetBytes('AUDITOR1 ' + $nonce)
        $obs['nonce'] = $nonce
        $obs['sent'] = 0
        $obs['status'] = 'no_answer'
        $udp = New-Object System.Net.Sockets.UdpClient($address.AddressFamily)
        try {
            $udp.Connect($address, [int]$Spec.port)
            $obs['local_address'] = $udp.Client.LocalEndPoint.Address.ToString()
            $deadline = $start + $Ctx.timeout_s
            for ($round = 0; $round -lt 3; $round++) {
                $left = $deadline - (Get-Elapsed)
                if ($left -le 0) { break }
                [void]$udp.Send($message, $message.Length)
                $obs['sent'] = $obs['sent'] + 1
                $wait = $left / (3 - $round)
                $udp.Client.ReceiveTimeout = [Math]::Max(1, [int]($wait * 1000))
                $remote = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
                try {
                    $data = $udp.Receive([ref]$remote)
                } catch {
                    $sock = Get-SocketException $_.Exception
                    if ($null -ne $sock -and [int]$sock.ErrorCode -eq 10060) { continue }
                    throw
                }
                if ([System.Convert]::ToBase64String($data) -eq [System.Convert]::ToBase64String($message)) {
                    $obs['status'] = 'echoed'
                } else {
                    $obs['status'] = 'wrong_answer'
                    $obs['reply_len'] = $data.Length
                    $hex = ''
                    for ($i = 0; $i -lt [Math]::Min(64, $data.Length); $i++) { $hex += $data[$i].ToString('x2', $Invariant) }
                    $obs['reply_hex'] = $hex
                }
                break
            }
        } catch {
            Merge-Into $obs (Get-Failure $_.Exception)
        } finally {
            $udp.Close()
        }
        $obs['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
        return $obs
    }

    # 'CN=x, O=y, C=DE' -> @{commonName=x; organizationName=y}
    function ConvertFrom-DistinguishedName([string]$Name) {
        $out = @{}
        $keys = @{ 'CN' = 'commonName'; 'O' = 'organizationName'; 'OU' = 'organizationalUnitName'; 'C' = 'countryName' }
        $pattern = '(?:^|,\s*)(CN|O|OU|C)=("(?:[^"]|"")*"|[^,]*)'
        foreach ($m in [System.Text.RegularExpressions.Regex]::Matches($Name, $pattern)) {
            $value = $m.Groups[2].Value
            if ($value.StartsWith('"') -and $value.EndsWith('"') -and $value.Length -ge 2) {
                $value = $value.Substring(1, $value.Length - 2).Replace('""', '"')
            }
            $key = $keys[$m.Groups[1].Value]
            if (-not $out.ContainsKey($key)) { $out[$key] = $value }
        }
        return $out
    }

    function Get-CertificateFacts($Certificate) {
        $c2 = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($Certificate)
        $sha = [System.Security.Cryptography.SHA256]::Create()
        $hash = ''
        foreach ($b in $sha.ComputeHash($c2.RawData)) { $hash += $b.ToString('x2', $Invariant) }
        $after = $c2.NotAfter.ToUniversalTime()
        $notAfter = '{0} {1,2} {2} GMT' -f $after.ToString('MMM', $Invariant), $after.Day, $after.ToString('HH:mm:ss yyyy', $Invariant)
        return @{
            'issuer' = (ConvertFrom-DistinguishedName $c2.Issuer)
            'subject' = (ConvertFrom-DistinguishedName $c2.Subject)
            'not_after' = $notAfter
            'sha256' = $hash
        }
    }

    # TLS with SNI against the machine's trust store; the validation callback records
    # what was presented and why Windows would (not) trust it, then lets Windows decide.
    function Invoke-Tls($Spec) {
        $obs = New-TargetObs $Spec
        $start = Get-Elapsed
        $client = Open-Target $Spec $obs
        if ($null -eq $client) {
            $obs['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
            return $obs
        }
        $seen = @{}
        $callback = [System.Net.Security.RemoteCertificateValidationCallback]{
            param($Sender, $Certificate, $Chain, $Errors)
            $seen['errors'] = $Errors
            if ($null -ne $Certificate) { $seen['certificate'] = $Certificate }
            if ($null -ne $Chain) {
                $statuses = @()
                foreach ($s in $Chain.ChainStatus) { $statuses += [string]$s.Status }
                $seen['chain'] = $statuses
            }
            return ($Errors -eq [System.Net.Security.SslPolicyErrors]::None)
        }
        $left = [Math]::Max(0.001, ($start + $Ctx.timeout_s) - (Get-Elapsed))
        $stream = $client.GetStream()
        $stream.ReadTimeout = [int]($left * 1000)
        $stream.WriteTimeout = [int]($left * 1000)
        $tls = New-Object System.Net.Security.SslStream($stream, $false, $callback)
        $obs['phase'] = 'handshake'
        try {
            # The system's choice (0) where .NET knows it (4.7+: SecurityProtocolType defines 0);
            # else TLS 1.2|1.1|1.0 (4.5+, or 3.5 with the TLS 1.2 update); else the old default.
            # A .NET that refuses a value does so before any byte is sent: try the next one.
            $choices = @()
            if ([System.Enum]::IsDefined([System.Net.SecurityProtocolType], 0)) { $choices += 0 }
            $choices += (3072 + 768 + 192)
            $choices += 240
            $done = $false
            foreach ($protocols in $choices) {
                try {
                    $tls.AuthenticateAsClient([string]$Spec.host, $null, [System.Security.Authentication.SslProtocols]$protocols, $false)
                    $done = $true
                    break
                } catch {
                    $inner = Get-Inner $_.Exception
                    if ($inner -is [System.ArgumentException] -or $inner -is [System.NotSupportedException]) { continue }
                    throw
                }
            }
            if (-not $done) { throw (New-Object System.NotSupportedException('no TLS protocol this .NET supports')) }
            $obs['status'] = 'verified'
            $obs.Remove('phase')
            $obs['protocol'] = [string]$tls.SslProtocol
            $obs['cipher'] = [string]$tls.CipherAlgorithm
            $facts = Get-CertificateFacts $tls.RemoteCertificate
            Merge-Into $obs $facts
        } catch {
            if ($seen.ContainsKey('errors') -and $seen['errors'] -ne [System.Net.Security.SslPolicyErrors]::None) {
                $obs['status'] = 'verify_failed'
                $obs['verify_code'] = [int]$seen['errors']
                $detail = [string]$seen['errors']
                if ($seen.ContainsKey('chain') -and $seen['chain'].Count -gt 0) { $detail += ': ' + ($seen['chain'] -join ', ') }
                $obs['verify_message'] = $detail
                if ($seen.ContainsKey('certificate')) {
                    try { $obs['presented'] = Get-CertificateFacts $seen['certificate'] }
                    catch { $obs['presented'] = @{ 'error' = [string]$_.Exception.Message } }
                }
            } else {
                $failure = Get-Failure $_.Exception
                if ($failure['status'] -eq 'timeout') {
                    $obs['status'] = 'timeout'
                    $obs['error'] = 'no TLS handshake in time'
                } else {
                    Merge-Into $obs $failure
                    $obs['status'] = 'handshake_failed'
                }
            }
        } finally {
            $tls.Close()
            $client.Close()
        }
        $obs['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
        return $obs
    }

    # ---------------------------------------------------------- dns by hand
    function New-DnsQuery([string]$Name, [int]$Id) {
        $bytes = New-Object System.Collections.Generic.List[byte]
        $bytes.Add([byte][Math]::Floor($Id / 256))
        $bytes.Add([byte]($Id % 256))
        foreach ($b in @(1, 0, 0, 1, 0, 0, 0, 0, 0, 0)) { $bytes.Add([byte]$b) }
        $idn = New-Object System.Globalization.IdnMapping
        foreach ($label in $Name.TrimEnd('.').Split('.')) {
            $ascii = $label
            foreach ($ch in $label.ToCharArray()) {
                if ([int]$ch -gt 127) { $ascii = $idn.GetAscii($label); break }
            }
            $raw = [System.Text.Encoding]::ASCII.GetBytes($ascii)
            if ($raw.Length -lt 1 -or $raw.Length -gt 63) { throw (New-Object System.ArgumentException("bad DNS name $Name")) }
            $bytes.Add([byte]$raw.Length)
            $bytes.AddRange($raw)
        }
        $bytes.Add([byte]0)
        if ($bytes.Count - 12 -gt 255) { throw (New-Object System.ArgumentException('DNS name too long')) }
        foreach ($b in @(0, 1, 0, 1)) { $bytes.Add([byte]$b) }
        return ,$bytes.ToArray()
    }

    # A possibly compressed name; pointers must go backwards, at most 16 jumps, <= 255 bytes.
    function Read-DnsName([byte[]]$Data, [int]$Offset) {
        $labels = New-Object System.Collections.ArrayList
        $end = -1
        $jumps = 0
        $total = 0
        for ($guard = 0; $guard -lt 300; $guard++) {
            if ($Offset -ge $Data.Length) { throw (New-Object System.FormatException('name runs past the message')) }
            $length = [int]$Data[$Offset]
            if (($length -band 0xC0) -eq 0xC0) {
                if ($Offset + 1 -ge $Data.Length) { throw (New-Object System.FormatException('truncated compression pointer')) }
                $target = ($length -band 0x3F) * 256 + [int]$Data[$Offset + 1]
                if ($end -lt 0) { $end = $Offset + 2 }
                if ($target -ge $Offset -or $jumps -ge 16) { throw (New-Object System.FormatException('bad compression pointer')) }
                $jumps++
                $Offset = $target
                continue
            }
            if (($length -band 0xC0) -ne 0) { throw (New-Object System.FormatException('bad label type')) }
            if ($length -eq 0) {
                if ($end -lt 0) { $end = $Offset + 1 }
                return @((($labels.ToArray()) -join '.').ToLowerInvariant(), $end)
            }
            $total += $length + 1
            if ($Offset + 1 + $length -gt $Data.Length -or $total -gt 255) { throw (New-Object System.FormatException('bad label')) }
            $chars = ''
            for ($i = 0; $i -lt $length; $i++) { $chars += [char]$Data[$Offset + 1 + $i] }
            [void]$labels.Add($chars)
            $Offset += 1 + $length
        }
        throw (New-Object System.FormatException('name too long'))
    }

    function Get-UInt16([byte[]]$Data, [int]$At) { return [int]$Data[$At] * 256 + [int]$Data[$At + 1] }

    function Read-DnsAnswer([byte[]]$Data, [int]$Id) {
        if ($Data.Length -lt 12) { throw (New-Object System.FormatException('answer shorter than a DNS header')) }
        $flags = Get-UInt16 $Data 2
        if (($flags -band 0x8000) -eq 0) { throw (New-Object System.FormatException('QR bit not set')) }
        $rcodes = @{ 0 = 'NOERROR'; 1 = 'FORMERR'; 2 = 'SERVFAIL'; 3 = 'NXDOMAIN'; 4 = 'NOTIMP'; 5 = 'REFUSED' }
        $rcode = $flags -band 0xF
        $out = @{ 'id_ok' = ((Get-UInt16 $Data 0) -eq $Id); 'truncated' = (($flags -band 0x0200) -ne 0) }
        if ($rcodes.ContainsKey($rcode)) { $out['rcode'] = $rcodes[$rcode] } else { $out['rcode'] = 'RCODE' + $rcode }
        $offset = 12
        $qd = [Math]::Min((Get-UInt16 $Data 4), 4)
        for ($q = 0; $q -lt $qd; $q++) { $offset = (Read-DnsName $Data $offset)[1] + 4 }
        $answers = New-Object System.Collections.ArrayList
        $an = [Math]::Min((Get-UInt16 $Data 6), 64)
        for ($r = 0; $r -lt $an; $r++) {
            $owner = Read-DnsName $Data $offset
            $offset = $owner[1]
            if ($offset + 10 -gt $Data.Length) { throw (New-Object System.FormatException('record header runs past the message')) }
            $rtype = Get-UInt16 $Data $offset
            $ttl = (([double]$Data[$offset + 4] * 256 + $Data[$offset + 5]) * 256 + $Data[$offset + 6]) * 256 + $Data[$offset + 7]
            $rdlen = Get-UInt16 $Data ($offset + 8)
            $offset += 10
            if ($offset + $rdlen -gt $Data.Length) { throw (New-Object System.FormatException('record data runs past the message')) }
            $record = @{ 'name' = $owner[0]; 'ttl' = [long]$ttl }
            if ($rtype -eq 1) { $record['type'] = 'A' } elseif ($rtype -eq 28) { $record['type'] = 'AAAA' } elseif ($rtype -eq 5) { $record['type'] = 'CNAME' } else { $record['type'] = $rtype }
            if (($rtype -eq 1 -and $rdlen -eq 4) -or ($rtype -eq 28 -and $rdlen -eq 16)) {
                $raw = New-Object byte[] $rdlen
                [System.Array]::Copy($Data, $offset, $raw, 0, $rdlen)
                $record['address'] = (New-Object System.Net.IPAddress(,$raw)).ToString()
            } elseif ($rtype -eq 5) {
                $record['target'] = (Read-DnsName $Data $offset)[0]
            }
            [void]$answers.Add($record)
            $offset += $rdlen
        }
        $out['answers'] = $answers
        return $out
    }

    function Get-AnswerObs([byte[]]$Data, [int]$Id) {
        try {
            $out = Read-DnsAnswer $Data $Id
        } catch {
            return @{ 'status' = 'malformed'; 'error' = [string]$_.Exception.Message; 'reply_len' = $Data.Length }
        }
        if (-not $out['id_ok']) { $out['status'] = 'id_mismatch' }
        elseif ($out['truncated']) { $out['status'] = 'truncated' }
        else { $out['status'] = 'answer' }
        return $out
    }

    function Invoke-DnsUdp($Address, [byte[]]$Query, [int]$Id, [double]$Deadline) {
        $udp = New-Object System.Net.Sockets.UdpClient($Address.AddressFamily)
        try {
            $udp.Connect($Address, 53)
            $resend = (Get-Elapsed) + ($Deadline - (Get-Elapsed)) / 2
            [void]$udp.Send($Query, $Query.Length)
            for ($round = 0; $round -lt 8; $round++) {
                $until = $Deadline
                if ($resend -gt 0) { $until = $resend }
                $left = $until - (Get-Elapsed)
                if ((Get-Elapsed) -ge $Deadline) { break }
                $udp.Client.ReceiveTimeout = [Math]::Max(1, [int]($left * 1000))
                $remote = New-Object System.Net.IPEndPoint([System.Net.IPAddress]::Any, 0)
                try {
                    $data = $udp.Receive([ref]$remote)
                } catch {
                    $sock = Get-SocketException $_.Exception
                    if ($null -ne $sock -and [int]$sock.ErrorCode -eq 10060) {
                        if ($resend -gt 0) { $resend = 0; [void]$udp.Send($Query, $Query.Length) }
                        continue
                    }
                    throw
                }
                return (Get-AnswerObs $data $Id)
            }
            return @{ 'status' = 'timeout'; 'error' = 'no answer in time' }
        } finally {
            $udp.Close()
        }
    }

    function Read-Exact($Stream, [int]$Size) {
        $buffer = New-Object byte[] $Size
        $got = 0
        for ($guard = 0; $guard -le $Size -and $got -lt $Size; $guard++) {
            $n = $Stream.Read($buffer, $got, $Size - $got)
            if ($n -le 0) { break }
            $got += $n
        }
        if ($got -lt $Size) { return $null }
        return ,$buffer
    }

    function Invoke-DnsTcp($Address, [byte[]]$Query, [int]$Id, [double]$Deadline) {
        $client = New-Object System.Net.Sockets.TcpClient($Address.AddressFamily)
        try {
            $left = [Math]::Max(0.001, $Deadline - (Get-Elapsed))
            $async = $client.BeginConnect($Address, 53, $null, $null)
            if (-not $async.AsyncWaitHandle.WaitOne([int]($left * 1000), $false)) {
                return @{ 'status' = 'timeout'; 'error' = 'no answer in time' }
            }
            $client.EndConnect($async)
            $stream = $client.GetStream()
            $left = [Math]::Max(0.001, $Deadline - (Get-Elapsed))
            $stream.ReadTimeout = [int]($left * 1000)
            $stream.WriteTimeout = [int]($left * 1000)
            $framed = New-Object byte[] ($Query.Length + 2)
            $framed[0] = [byte][Math]::Floor($Query.Length / 256)
            $framed[1] = [byte]($Query.Length % 256)
            [System.Array]::Copy($Query, 0, $framed, 2, $Query.Length)
            $stream.Write($framed, 0, $framed.Length)
            $header = Read-Exact $stream 2
            if ($null -eq $header) { return @{ 'status' = 'malformed'; 'error' = 'connection closed before an answer' } }
            $length = Get-UInt16 $header 0
            $data = Read-Exact $stream $length
            if ($null -eq $data) { return @{ 'status' = 'malformed'; 'error' = 'connection closed inside the answer' } }
            return (Get-AnswerObs $data $Id)
        } finally {
            $client.Close()
        }
    }

    function Invoke-Dns($Spec) {
        $obs = @{ 'check' = $Spec.check; 'transport' = $Spec.transport; 'resolver' = $Spec.resolver; 'name' = $Spec.name }
        $start = Get-Elapsed
        $id = (New-Object System.Random).Next(0, 65536)
        $obs['id'] = $id
        try {
            $query = New-DnsQuery ([string]$Spec.name) $id
            $address = [System.Net.IPAddress]::Parse([string]$Spec.resolver)
            if ($Spec.transport -eq 'tcp') {
                $result = Invoke-DnsTcp $address $query $id ($start + $Ctx.timeout_s)
            } else {
                $result = Invoke-DnsUdp $address $query $id ($start + $Ctx.timeout_s)
            }
            Merge-Into $obs $result
        } catch [System.ArgumentException] {
            $obs['status'] = 'error'
            $obs['error'] = [string]$_.Exception.Message
        } catch {
            Merge-Into $obs (Get-Failure $_.Exception)
        }
        $obs['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
        return $obs
    }

    # What programs on the host get: the Windows resolver (hosts file, NRPT, suffixes).
    function Invoke-DnsSystem($Spec) {
        $obs = @{ 'check' = $Spec.check; 'name' = $Spec.name }
        $start = Get-Elapsed
        $resolved = Resolve-Name ([string]$Spec.name) $TimeoutMs
        if ($resolved.ContainsKey('failure')) {
            Merge-Into $obs $resolved['failure']
            $obs.Remove('phase')
        } else {
            $obs['status'] = 'resolved'
            $obs['addresses'] = Get-UniqueAddresses $resolved['ok']
        }
        $obs['duration_s'] = Get-Secs ((Get-Elapsed) - $start)
        return $obs
    }

    # ---------------------------------------------------------- windows facts
    function Get-Instances([string]$Class, [string]$Filter) {
        if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) {
            return @(Get-CimInstance -ClassName $Class -Filter $Filter)
        }
        return @(Get-WmiObject -Class $Class -Filter $Filter)
    }

    function Get-RegistryValues([string]$Path, $Names) {
        $out = @{ 'path' = $Path; 'exists' = $false }
        $psPath = 'Registry::' + $Path
        if (-not (Test-Path -LiteralPath $psPath)) { return $out }
        $out['exists'] = $true
        try { $item = Get-ItemProperty -LiteralPath $psPath -ErrorAction Stop }
        catch { $out['error'] = [string]$_.Exception.Message; return $out }  # e.g. access denied
        foreach ($pair in $Names) {
            $value = $item.($pair[0])
            if ($null -ne $value) { $out[$pair[1]] = $value }
        }
        return $out
    }

    # whoami /groups: SID -> attribute text (localized, kept as evidence only) and the
    # mandatory label, which is the token's integrity level (elevated = high or system).
    function Get-WhoamiGroups {
        $ErrorActionPreference = 'Continue'  # a line on stderr must not stop the probe
        $rows = @{}
        $lines = @(& whoami.exe /groups /fo csv /nh 2>$null)
        foreach ($line in $lines) {
            $cells = ([string]$line).Trim().Trim('"') -split '","'
            if ($cells.Count -ge 4 -and $cells[2] -like 'S-1-*') { $rows[$cells[2]] = $cells[3] }
        }
        return $rows
    }

    function Invoke-Admin($Spec) {
        $obs = @{ 'check' = $Spec.check }
        $id = [System.Security.Principal.WindowsIdentity]::GetCurrent()
        $obs['user'] = $id.Name
        $obs['sid'] = $id.User.Value
        $parts = $id.User.Value.Split('-')
        $obs['rid'] = [long]$parts[$parts.Length - 1]
        $domain = $id.Name.Split('\')[0]
        $obs['computer'] = $env:COMPUTERNAME
        if ($domain -eq $env:COMPUTERNAME) { $obs['account'] = 'local' } else { $obs['account'] = 'domain' }
        $admins = 'S-1-5-32-544'
        $enabled = New-Object System.Collections.ArrayList
        foreach ($g in $id.Groups) { [void]$enabled.Add($g.Value) }
        $principal = New-Object System.Security.Principal.WindowsPrincipal($id)
        $obs['is_in_role'] = $principal.IsInRole((New-Object System.Security.Principal.SecurityIdentifier($admins)))
        $denyOnly = New-Object System.Collections.ArrayList
        $source = 'whoami'
        if ($null -ne $id.PSObject.Properties['Claims']) {
            $source = 'claims'
            foreach ($claim in $id.Claims) {
                if ($claim.Type -like '*/denyonlysid') { [void]$denyOnly.Add($claim.Value) }
            }
        }
        $whoami = @{}
        try { $whoami = Get-WhoamiGroups } catch { $obs['whoami_error'] = [string]$_.Exception.Message }
        if ($source -eq 'whoami') {
            foreach ($sid in @($whoami.Keys)) {
                if (-not $enabled.Contains($sid) -and $sid -like 'S-1-5-*') { [void]$denyOnly.Add($sid) }
            }
        }
        $state = 'absent'
        if ($enabled.Contains($admins)) { $state = 'enabled' } elseif ($denyOnly.Contains($admins)) { $state = 'deny_only' }
        $integrity = $null
        $labels = @{ 'S-1-16-4096' = 'low'; 'S-1-16-8192' = 'medium'; 'S-1-16-8448' = 'medium_plus'; 'S-1-16-12288' = 'high'; 'S-1-16-16384' = 'system' }
        foreach ($sid in @($whoami.Keys)) { if ($labels.ContainsKey($sid)) { $integrity = $labels[$sid] } }
        $elevated = $null
        if ($null -ne $integrity) { $elevated = ($integrity -eq 'high' -or $integrity -eq 'system') }
        $obs['token'] = @{ 'admin_group' = $state; 'integrity' = $integrity; 'elevated' = $elevated; 'source' = $source }
        $domainAdmins = $false
        foreach ($sid in $enabled) { if ($sid -match '^S-1-5-21-.+-(512|519)$') { $domainAdmins = $true } }
        $obs['domain_admins'] = $domainAdmins
        $policy = Get-RegistryValues 'HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' @(
            @('EnableLUA', 'enable_lua'),
            @('LocalAccountTokenFilterPolicy', 'local_account_token_filter_policy'),
            @('FilterAdministratorToken', 'filter_administrator_token'))
        $uac = @{}
        foreach ($key in @('enable_lua', 'local_account_token_filter_policy', 'filter_administrator_token')) {
            if ($policy.ContainsKey($key)) { $uac[$key] = [long]$policy[$key] } else { $uac[$key] = $null }
        }
        $obs['uac'] = $uac
        $groups = New-Object System.Collections.ArrayList
        foreach ($sid in $enabled) { if ($groups.Count -lt 64) { [void]$groups.Add($sid) } }
        $obs['groups'] = $groups
        $obs['deny_only_groups'] = $denyOnly
        return $obs
    }

    function Invoke-TeamViewer($Spec) {
        $obs = @{ 'check' = $Spec.check }
        $names = @(@('ClientID', 'client_id'), @('Version', 'version'),
            @('InstallationDirectory', 'installation_directory'),
            @('InstallationConfigurationId', 'custom_config_id'))
        $registry = New-Object System.Collections.ArrayList
        foreach ($path in @('HKEY_LOCAL_MACHINE\SOFTWARE\TeamViewer', 'HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\TeamViewer')) {
            $values = Get-RegistryValues $path $names
            if ($values.ContainsKey('client_id')) {
                $number = [long]$values['client_id']
                if ($number -lt 0) { $number += 4294967296 }  # a REG_DWORD reads back as Int32
                $values['client_id'] = $number.ToString($Invariant)
            }
            if ($values['exists']) {  # device management, as TeamViewer's own module reads it
                $dm = Get-RegistryValues ($path + '\DeviceManagementV2') @(@('ManagementId', 'management_id'), @('Unmanaged', 'unmanaged'))
                if ($dm.ContainsKey('error')) {  # unreadable is not "unassigned": no values at all
                    $values['management_error'] = $dm['error']
                } else {
                    $values['management_id'] = $null
                    $values['unmanaged'] = $null
                }
                if ($dm.ContainsKey('management_id')) { $values['management_id'] = [string]$dm['management_id'] }
                if ($dm.ContainsKey('unmanaged')) { $values['unmanaged'] = ([long]$dm['unmanaged'] -ne 0) }
            }
            [void]$registry.Add($values)
        }
        $obs['registry'] = $registry
        $products = New-Object System.Collections.ArrayList
        foreach ($root in @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall')) {
            if (-not (Test-Path $root)) { continue }
            foreach ($key in @(Get-ChildItem $root)) {
                $p = Get-ItemProperty -LiteralPath $key.PSPath
                if ($null -ne $p.DisplayName -and ([string]$p.DisplayName) -like 'TeamViewer*' -and $products.Count -lt 8) {
                    [void]$products.Add(@{ 'display_name' = [string]$p.DisplayName; 'version' = [string]$p.DisplayVersion; 'publisher' = [string]$p.Publisher })
                }
            }
        }
        $obs['products'] = $products
        $service = @{ 'method' = 'scm'; 'name' = 'TeamViewer' }
        $found = @(Get-Instances 'Win32_Service' "Name='TeamViewer'")
        if ($found.Count -eq 0) {
            $service['exists'] = $false
            $service['running'] = $false
        } else {
            $service['exists'] = $true
            $service['state'] = [string]$found[0].State
            $service['start_mode'] = [string]$found[0].StartMode
            $service['path'] = [string]$found[0].PathName
            $service['running'] = ([string]$found[0].State -eq 'Running')
        }
        $obs['service'] = $service
        $dirs = New-Object System.Collections.ArrayList
        foreach ($r in $registry) { if ($r.ContainsKey('installation_directory')) { [void]$dirs.Add([string]$r['installation_directory']) } }
        foreach ($base in @(${env:ProgramFiles(x86)}, $env:ProgramFiles)) { if ($base) { [void]$dirs.Add((Join-Path $base 'TeamViewer')) } }
        $binaries = New-Object System.Collections.ArrayList
        foreach ($dir in $dirs) {
            foreach ($exe in @('TeamViewer_Service.exe', 'TeamViewer.exe')) {
                $file = Join-Path $dir $exe
                if ((Test-Path -LiteralPath $file) -and -not $binaries.Contains($file)) { [void]$binaries.Add($file) }
            }
        }
        $obs['binaries'] = $binaries
        return $obs
    }

    # ---------------------------------------------------------- dispatch
    try {
        if ($Kind -eq 'tcp') { $result = Invoke-Tcp $Item }
        elseif ($Kind -eq 'udp') { $result = Invoke-Udp $Item }
        elseif ($Kind -eq 'tls') { $result = Invoke-Tls $Item }
        elseif ($Kind -eq 'dns') { $result = Invoke-Dns $Item }
        elseif ($Kind -eq 'dns_system') { $result = Invoke-DnsSystem $Item }
        elseif ($Kind -eq 'admin') { $result = Invoke-Admin $Item }
        elseif ($Kind -eq 'teamviewer') { $result = Invoke-TeamViewer $Item }
        else { $result = @{ 'status' = 'error'; 'error' = "payload: unknown probe $Kind" } }
    } catch {
        $result = @{}
        foreach ($key in @($Item.Keys)) { if ($key -ne 'slot') { $result[$key] = $Item[$key] } }
        $result['status'] = 'error'
        $result['error'] = 'payload: ' + $_.Exception.GetType().Name + ': ' + $_.Exception.Message
    }
    $Ctx.results[$Item.slot] = $result
}

# ------------------------------------------------------------------ json by hand
function ConvertTo-JsonString([string]$Text) {
    $sb = New-Object System.Text.StringBuilder
    [void]$sb.Append('"')
    foreach ($ch in $Text.ToCharArray()) {
        $code = [int]$ch
        if ($ch -eq '"') { [void]$sb.Append('\"') }
        elseif ($ch -eq '\') { [void]$sb.Append('\\') }
        elseif ($code -lt 0x20 -or $code -gt 0x7E) { [void]$sb.Append('\u' + $code.ToString('x4', $Invariant)) }
        else { [void]$sb.Append($ch) }
    }
    [void]$sb.Append('"')
    return $sb.ToString()
}

# Sorted keys, ASCII only, invariant numbers: the same bytes on every Windows.
function ConvertTo-AuditJson($Value, [int]$Depth) {
    if ($Depth -gt 16) { return '"(too deep)"' }
    if ($null -eq $Value) { return 'null' }
    if ($Value -is [bool]) { if ($Value) { return 'true' } else { return 'false' } }
    if ($Value -is [string] -or $Value -is [char]) { return (ConvertTo-JsonString ([string]$Value)) }
    if ($Value -is [int] -or $Value -is [long] -or $Value -is [int16] -or $Value -is [byte] -or
        $Value -is [uint16] -or $Value -is [uint32] -or $Value -is [uint64] -or $Value -is [sbyte]) {
        return ([decimal]$Value).ToString($Invariant)
    }
    if ($Value -is [double] -or $Value -is [single] -or $Value -is [decimal]) {
        $number = [double]$Value
        if ([double]::IsNaN($number) -or [double]::IsInfinity($number)) { return 'null' }
        return $number.ToString('R', $Invariant)
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $keys = New-Object System.Collections.ArrayList
        foreach ($k in $Value.Keys) { [void]$keys.Add([string]$k) }
        $sorted = [string[]]$keys.ToArray()
        [System.Array]::Sort($sorted, [System.StringComparer]::Ordinal)
        $parts = New-Object System.Collections.ArrayList
        foreach ($k in $sorted) {
            [void]$parts.Add((ConvertTo-JsonString $k) + ': ' + (ConvertTo-AuditJson $Value[$k] ($Depth + 1)))
        }
        return '{' + ($parts.ToArray() -join ', ') + '}'
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $parts = New-Object System.Collections.ArrayList
        foreach ($v in $Value) { [void]$parts.Add((ConvertTo-AuditJson $v ($Depth + 1))) }
        return '[' + ($parts.ToArray() -join ', ') + ']'
    }
    return (ConvertTo-JsonString ([string]$Value))
}

# ------------------------------------------------------------------ plan -> jobs
# DNS servers as Windows uses them: per adapter, in each adapter's order.
function Get-AdapterResolvers {
    $info = @{ 'source' = 'adapters'; 'resolvers' = (New-Object System.Collections.ArrayList);
        'adapters' = (New-Object System.Collections.ArrayList); 'problems' = (New-Object System.Collections.ArrayList) }
    try {
        if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) {
            $adapters = @(Get-CimInstance -ClassName Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=TRUE')
        } else {
            $adapters = @(Get-WmiObject -Class Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=TRUE')
        }
    } catch {
        [void]$info['problems'].Add('cannot read the network adapters: ' + $_.Exception.Message)
        return $info
    }
    foreach ($adapter in $adapters) {
        $servers = @()
        if ($null -ne $adapter.DNSServerSearchOrder) { $servers = @($adapter.DNSServerSearchOrder) }
        [void]$info['adapters'].Add(@{ 'index' = [long]$adapter.InterfaceIndex; 'description' = [string]$adapter.Description; 'servers' = $servers })
        foreach ($server in $servers) {
            if ($info['resolvers'].Contains([string]$server)) { continue }
            if ($info['resolvers'].Count -ge 4) { [void]$info['problems'].Add("ignored, only 4 DNS servers are queried: $server"); continue }
            [void]$info['resolvers'].Add([string]$server)
        }
    }
    if ($info['resolvers'].Count -eq 0) { [void]$info['problems'].Add('no DNS server configured on any adapter') }
    return $info
}

function Add-Job($Jobs, [string]$Kind, $Item) {
    $copy = @{}
    foreach ($key in @($Item.Keys)) { $copy[$key] = $Item[$key] }
    $copy['slot'] = $Jobs.Count
    [void]$Jobs.Add(@{ 'kind' = $Kind; 'item' = $copy })
}

function Get-Jobs($Plan, $Doc) {
    $jobs = New-Object System.Collections.ArrayList
    foreach ($kind in @('admin', 'teamviewer')) {
        if ($Plan.ContainsKey($kind)) { Add-Job $jobs $kind $Plan[$kind] }
    }
    # Items of a diagnostic (not a check) wait until every check's probe is queued: the
    # pool runs at most 32 at once, and they must never delay a verdict.
    $later = @()
    if ($Plan.ContainsKey('diagnostics')) { $later = @($Plan['diagnostics']) }
    $deferred = New-Object System.Collections.ArrayList
    foreach ($kind in @('tcp', 'udp', 'tls')) {
        if ($Plan.ContainsKey($kind)) {
            foreach ($spec in @($Plan[$kind])) {
                if ($later -contains $spec['check']) { [void]$deferred.Add(@{ 'kind' = $kind; 'spec' = $spec }) }
                else { Add-Job $jobs $kind $spec }
            }
        }
    }
    if ($Plan.ContainsKey('dns')) {
        $dns = $Plan['dns']
        $found = Get-AdapterResolvers
        $found['checks'] = @($dns['checks'])
        $found['queries'] = New-Object System.Collections.ArrayList
        $Doc['dns'] = $found
        foreach ($check in @($dns['checks'])) {
            $transport = 'udp'
            if ($dns['transport'][$check] -eq 'tcp') { $transport = 'tcp' }
            foreach ($resolver in $found['resolvers']) {
                foreach ($name in @($dns['names'])) {
                    Add-Job $jobs 'dns' @{ 'check' = $check; 'transport' = $transport; 'resolver' = $resolver; 'name' = $name }
                }
            }
        }
    }
    if ($Plan.ContainsKey('dns_system')) {
        foreach ($name in @($Plan['dns_system']['names'])) {
            Add-Job $jobs 'dns_system' @{ 'check' = $Plan['dns_system']['check']; 'name' = $name }
        }
    }
    foreach ($job in $deferred) { Add-Job $jobs $job['kind'] $job['spec'] }
    return ,$jobs
}

function Get-Unfinished($Item) {
    $obs = @{}
    foreach ($key in @($Item.Keys)) { if ($key -ne 'slot') { $obs[$key] = $Item[$key] } }
    $obs['status'] = 'timeout'
    $obs['phase'] = 'deadline'
    $obs['error'] = 'did not finish before the payload deadline'
    return $obs
}

function Invoke-Plan($Plan, $Doc) {
    $deadline = [double]$Plan['deadline_s']
    $timeout = [Math]::Min([double]$Plan['probe_timeout_s'], $deadline)
    $stop = $deadline - [Math]::Min(1.0, $deadline * 0.1)
    foreach ($kind in @('tcp', 'udp', 'tls')) { if ($Plan.ContainsKey($kind)) { $Doc[$kind] = New-Object System.Collections.ArrayList } }
    if ($Plan.ContainsKey('dns_system')) {
        $hostsFile = Join-Path ([string]$env:SystemRoot) 'System32\drivers\etc\hosts'
        $Doc['dns_system'] = @{ 'check' = $Plan['dns_system']['check']; 'hosts_file' = $hostsFile;
            'results' = (New-Object System.Collections.ArrayList) }
    }
    $jobs = Get-Jobs $Plan $Doc
    if ($jobs.Count -gt $MaxProbes) {
        $Doc['problems'] = @("plan asks for $($jobs.Count) probes, only $MaxProbes run")
        $jobs.RemoveRange($MaxProbes, $jobs.Count - $MaxProbes)
    }
    $ctx = @{ 'timeout_s' = $timeout; 'results' = [hashtable]::Synchronized(@{}) }
    $size = [Math]::Max(1, [Math]::Min($jobs.Count, 32))
    $pool = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspacePool(1, $size)
    $pool.Open()
    $running = New-Object System.Collections.ArrayList
    $script = $ProbeLib.ToString()
    foreach ($job in $jobs) {
        $ps = [System.Management.Automation.PowerShell]::Create()
        $ps.RunspacePool = $pool
        [void]$ps.AddScript($script).AddArgument($job['kind']).AddArgument($job['item']).AddArgument($ctx)
        [void]$running.Add(@{ 'ps' = $ps; 'handle' = $ps.BeginInvoke() })
    }
    for ($guard = 0; $guard -lt 100000; $guard++) {
        if ($ctx['results'].Count -ge $jobs.Count) { break }
        if ($Clock.Elapsed.TotalSeconds -ge $stop) { break }
        Start-Sleep -Milliseconds 20
    }
    $results = @{}
    foreach ($key in @($ctx['results'].Keys)) { $results[$key] = $ctx['results'][$key] }
    foreach ($job in $jobs) {
        $item = $job['item']
        $obs = $results[$item['slot']]
        if ($null -eq $obs) { $obs = Get-Unfinished $item }
        $kind = $job['kind']
        if ($kind -eq 'admin' -or $kind -eq 'teamviewer') { $Doc[$kind] = $obs }
        elseif ($kind -eq 'dns') { [void]$Doc['dns']['queries'].Add($obs) }
        elseif ($kind -eq 'dns_system') { [void]$Doc['dns_system']['results'].Add($obs) }
        else { [void]$Doc[$kind].Add($obs) }
    }
}

function New-Document($StartedAt) {
    $doc = @{
        'observations_version' = $ObservationsVersion; 'payload' = 'powershell'; 'uid' = $null;
        'powershell' = $PSVersionTable.PSVersion.ToString(); 'clr' = [string]$PSVersionTable.CLRVersion;
        'hostname' = [string]$env:COMPUTERNAME; 'started_at' = $StartedAt
    }
    $doc['platform'] = [System.Environment]::OSVersion.VersionString
    try {
        $nt = Get-ItemProperty -LiteralPath 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
        if ($null -ne $nt.ProductName) { $doc['platform'] = [string]$nt.ProductName + ' ' + [System.Environment]::OSVersion.Version.ToString() }
    } catch {
        $doc['platform_error'] = [string]$_.Exception.Message
    }
    try { $doc['user'] = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name } catch { $doc['user'] = $null }
    return $doc
}

# ------------------------------------------------------------------ main
$startedAt = [DateTime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', $Invariant)
$doc = New-Document $startedAt
try {
    if ($null -eq $Plan -or -not ($Plan -is [System.Collections.IDictionary])) { throw 'no plan in the payload' }
    if ($Plan['plan_version'] -ne $PlanVersion) { throw "unsupported plan (plan_version must be $PlanVersion)" }
    $doc['plan_version'] = $Plan['plan_version']
    Invoke-Plan $Plan $doc
} catch {
    $doc['error'] = 'bad plan or payload failure: ' + [string]$_.Exception.Message
}
$doc['duration_s'] = [Math]::Round($Clock.Elapsed.TotalSeconds, 4)
$text = ConvertTo-AuditJson $doc 0
[Console]::Out.Write($Begin + "`n" + $text + "`n" + $End + "`n")
[Console]::Out.Flush()
[System.Environment]::Exit(0)
